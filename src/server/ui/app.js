// The berth dashboard: namespaces as cards, a namespace as a tree (Deployment → revisions →
// replicas, Services, volumes, HPAs), a Deployment's history with rollback. It draws the view
// the server pushes over Server-Sent Events (/api/v1/events, built by dashboard-view.ts) and
// never polls. Writes use the session cookie plus the CSRF token from /api/v1/session; without
// a session the page is read-only. No build step: preact + htm, served by berth itself.
import { h, render } from 'preact';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);

const short = (sha) => (sha ? sha.slice(0, 12) : '—');

/** "3 min ago" style, from an ISO time; the exact time is in the element's title. */
function ago(iso, now) {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** The route from the location hash: #/, #/ns/NAME, #/ns/NAME/deploy/DEPLOYMENT. */
function parseRoute(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'ns' && parts[1]) return parts[2] === 'deploy' && parts[3] ? { ns: parts[1], deployment: parts[3] } : { ns: parts[1] };
  return {};
}

function useRoute() {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** The live view: the first event is the current state, later ones arrive when it changes. */
function useLiveView() {
  const [view, setView] = useState(undefined);
  const [live, setLive] = useState('connecting');
  useEffect(() => {
    const events = new EventSource('/api/v1/events');
    events.addEventListener('view', (e) => {
      setView(JSON.parse(e.data));
      setLive('live');
    });
    events.onerror = () => setLive('reconnecting'); // EventSource retries by itself
    return () => events.close();
  }, []);
  return { view, live };
}

function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 10_000);
    return () => clearInterval(t);
  }, []);
  return now;
}

async function api(method, path, { body, csrf } = {}) {
  const headers = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (csrf) headers['x-berth-csrf'] = csrf;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data?.error?.message ?? `${res.status} ${res.statusText}`);
  return data;
}

const Badge = ({ kind, value }) => html`<span class=${`badge ${kind}-${String(value).toLowerCase()}`} data-testid=${kind}>${value}</span>`;

function SignIn({ session, setSession, notify }) {
  const [token, setToken] = useState('');
  if (!session) return null;
  if (session.signedIn)
    return html`<div class="auth">
      <span class="who">signed in</span>
      <button type="button" onClick=${async () => {
        await api('DELETE', '/api/v1/session', { csrf: session.csrf }).catch((e) => notify(e.message, 'error'));
        setSession({ signedIn: false, writesEnabled: session.writesEnabled });
      }}>Sign out</button>
    </div>`;
  if (!session.writesEnabled) return html`<div class="auth"><span class="who">read-only (no API token configured)</span></div>`;
  return html`<form class="auth" data-testid="sign-in" onSubmit=${async (e) => {
    e.preventDefault();
    try {
      const s = await api('POST', '/api/v1/session', { body: { token } });
      setToken('');
      setSession({ ...s, writesEnabled: true });
      notify('Signed in: actions enabled.');
    } catch (err) {
      notify(`Sign-in failed: ${err.message}`, 'error');
    }
  }}>
    <label for="token">API token</label>
    <input id="token" type="password" autocomplete="current-password" value=${token} onInput=${(e) => setToken(e.currentTarget.value)} required />
    <button type="submit">Sign in</button>
  </form>`;
}

function Overview({ view, now }) {
  const [filter, setFilter] = useState('');
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? view.namespaces.filter((n) => n.name.includes(f) || n.deployments.some((d) => d.name.includes(f))) : view.namespaces;
  }, [view, filter]);
  return html`<main>
    <div class="toolbar">
      <h1>Namespaces <span class="count">${view.namespaces.length}</span></h1>
      <input type="search" placeholder="Filter namespaces or Deployments" aria-label="Filter" value=${filter} onInput=${(e) => setFilter(e.currentTarget.value)} />
    </div>
    ${view.namespaces.length === 0 ? html`<p class="empty">No namespace has been reconciled yet.</p>` : null}
    <ul class="cards">
      ${shown.slice(0, 500).map(
        (n) => html`<li key=${n.name}>
          <a class="card" href=${`#/ns/${encodeURIComponent(n.name)}`} data-testid="ns-card" data-ns=${n.name}>
            <div class="card-head"><strong class="ns-name">${n.name}</strong></div>
            <div class="badges"><${Badge} kind="sync" value=${n.sync} /> <${Badge} kind="health" value=${n.health} /></div>
            <dl>
              <dt>commit</dt><dd class="mono" data-testid="commit">${short(n.lastAppliedCommit ?? n.lastAttemptedCommit)}</dd>
              ${n.commit?.subject !== undefined ? html`<dt>subject</dt><dd class="subject" data-testid="commit-subject" title=${n.commit.subject}>${n.commit.subject}</dd>` : null}
              ${n.commit?.author !== undefined
                ? html`<dt>author</dt><dd data-testid="commit-author">${n.commit.author}${n.commit.time ? html` <span class="dim" title=${n.commit.time}>${ago(n.commit.time, now)}</span>` : null}</dd>`
                : null}
              <dt>Deployments</dt><dd data-testid="deployment-count">${n.deployments.length}</dd>
              <dt>last pass</dt><dd title=${n.lastPass}>${ago(n.lastPass, now)}</dd>
            </dl>
            ${n.message ? html`<p class="message">${n.message}</p>` : null}
          </a>
        </li>`,
      )}
    </ul>
    ${shown.length > 500 ? html`<p class="empty">${shown.length - 500} more: filter to narrow.</p>` : null}
  </main>`;
}

/** A replica's log, live (GET …/replicas/CONTAINER/logs, signed-in only): the last 200 lines, then what it prints. */
function LogPane({ ns, container }) {
  const [text, setText] = useState('');
  const [state, setState] = useState('connecting');
  const pre = useRef(undefined);
  // Follow the newest line, as `logs -f` does.
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  useEffect(() => {
    const events = new EventSource(`/api/v1/namespaces/${encodeURIComponent(ns)}/replicas/${encodeURIComponent(container)}/logs`);
    events.onopen = () => setState('live');
    events.addEventListener('log', (e) => {
      const { text: piece } = JSON.parse(e.data);
      setText((t) => (t + piece).slice(-200_000)); // the newest 200 kB: a chatty replica must not fill the page's memory
    });
    events.addEventListener('end', (e) => {
      setState(`ended: ${JSON.parse(e.data).reason}`);
      events.close();
    });
    events.onerror = () => {
      setState((s) => (s.startsWith('ended') ? s : 'closed (reopen to retry)'));
      events.close();
    };
    return () => events.close();
  }, [ns, container]);
  return html`<div class="logs" data-testid="logs">
    <span class="dim" data-testid="log-state">log: ${state}</span>
    <pre data-testid="log-pane" aria-live="off" ref=${pre}>${text}</pre>
  </div>`;
}

function Replica({ ns, r, session }) {
  const [open, setOpen] = useState(false);
  return html`<li class="node replica" data-testid="replica" data-name=${r.name}>
    <span class="kind">replica</span>
    <span class="mono" data-testid="container">${r.container}</span>
    <span class=${`state state-${r.status.toLowerCase()}`} data-testid="state">${r.status}</span>
    <span class=${r.ready ? 'ok' : 'warn'} data-testid="ready">${r.ready ? 'ready' : 'not ready'}</span>
    <span data-testid="restarts">${r.restarts} restarts</span>
    ${r.address ? html`<span class="mono dim">${r.address}</span>` : null}
    ${r.reason ? html`<span class="dim reason">${r.reason}</span>` : null}
    ${r.containers
      ? html`<ul class="plain containers">${r.containers.map(
          (c) => html`<li data-testid="pod-container" data-name=${c.name}><span class="kind">${c.sidecar ? 'sidecar' : 'container'}</span><span class="mono">${c.name}</span> <span>${c.state}</span> <span class=${c.ready ? 'ok' : 'warn'}>${c.ready ? 'ready' : 'not ready'}</span></li>`,
        )}</ul>`
      : null}
    ${session?.signedIn
      ? html`<button type="button" class="small" data-testid="logs-toggle" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? 'Hide logs' : 'Logs'}</button>`
      : null}
    ${open && session?.signedIn ? html`<${LogPane} ns=${ns} container=${r.container} />` : null}
  </li>`;
}

function Deployment({ ns, d, session }) {
  return html`<li class="node deployment" data-testid="deployment" data-name=${d.name}>
    <div class="row">
      <span class="kind">Deployment</span>
      <strong>${d.name}</strong>
      <${Badge} kind="health" value=${d.health} />
      <span class="dim">${d.phase}</span>
      <span data-testid="ready-count">${d.readyReplicas}/${d.replicas} ready</span>
      ${d.pinnedTo ? html`<span class="warn" data-testid="pinned">pinned to ${d.pinnedTo.split('@')[0]}</span>` : null}
      ${d.autoscaler ? html`<span class="dim">scaled by HPA ${d.autoscaler}</span>` : null}
      <a href=${`#/ns/${encodeURIComponent(ns)}/deploy/${encodeURIComponent(d.name)}`} data-testid="history-link">History</a>
    </div>
    ${d.message ? html`<p class="message">${d.message}</p>` : null}
    <ul>
      ${d.revisions.map(
        (rev) => html`<li class="node revision" data-testid="revision" data-revision=${rev.revision} key=${rev.revision}>
          <div class="row">
            <span class="kind">revision</span><span class="mono">${rev.revision}</span>
            ${rev.current ? html`<span class="ok">current</span>` : html`<span class="dim">old</span>`}
            ${rev.commit ? html`<span class="dim mono">commit ${short(rev.commit)}</span>` : null}
            <span class="dim">${rev.replicas.length} ${rev.replicas.length === 1 ? 'replica' : 'replicas'}</span>
          </div>
          <ul>${rev.replicas.map((r) => html`<${Replica} ns=${ns} r=${r} session=${session} key=${r.name} />`)}</ul>
        </li>`,
      )}
    </ul>
  </li>`;
}

const GUARD_WORDS = {
  'no-prunes': 'nothing to prune',
  allowed: 'prunes allowed',
  confirmed: 'prune confirmed',
  'needs-confirmation': 'prune held: needs confirmation',
  refused: 'prune refused',
};

/** The live plan of a namespace (what the head would change now) and the prune guard, with "Confirm prune" when it holds. */
function LivePlan({ n, session, notify }) {
  const [plan, setPlan] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [confirming, setConfirming] = useState(false);
  const signedIn = session?.signedIn === true;
  const load = useCallback(() => {
    // The plan shows the manifests' values: signed-in pages only (the API answers 401 otherwise).
    if (!signedIn) return;
    api('GET', `/api/v1/namespaces/${encodeURIComponent(n.name)}/plan`)
      .then((p) => {
        setPlan(p);
        setError(undefined);
      })
      .catch((e) => setError(e.message));
  }, [n.name, signedIn]);
  // Reload when a pass ran or the commit moved: the plan is the engine against the head.
  useEffect(load, [load, n.lastPass, n.sync, n.lastAttemptedCommit]);
  const confirm = async () => {
    setConfirming(false);
    try {
      const r = await api('POST', '/api/v1/prune/confirm', { body: { commit: plan.commit, by: 'dashboard' }, csrf: session.csrf });
      notify(`Prune confirmed for ${short(r.confirmed)}.`);
      load();
    } catch (e) {
      notify(`Prune confirmation refused: ${e.message}`, 'error');
    }
  };
  const g = plan?.pruneGuard;
  return html`<section data-testid="plan">
    <h2>Live plan</h2>
    ${signedIn ? null : html`<p class="dim" data-testid="plan-sign-in">Sign in to see the live plan and the prune guard.</p>`}
    ${error && signedIn ? html`<p class="error">${error}</p>` : null}
    ${plan && signedIn
      ? html`<p class="meta">head <span class="mono">${short(plan.commit)}</span> · <span data-testid="plan-verdict">${plan.verdict}</span>
          ${plan.message && plan.message !== n.message ? html`<span class="dim"> — ${plan.message}</span>` : null}</p>
        ${plan.changes.length === 0
          ? plan.verdict === 'in-sync'
            ? html`<p class="dim" data-testid="plan-empty">No pending changes.</p>`
            : null
          : html`<ul class="plain mono">${plan.changes.map((c) => html`<li data-testid="plan-change">${c}</li>`)}</ul>`}
        ${plan.notes.length > 0 ? html`<ul class="plain dim">${plan.notes.map((c) => html`<li>${c}</li>`)}</ul>` : null}
        <div class="guard">
          <span>prune guard: </span><span class=${g.holds ? 'warn' : 'ok'} data-testid="guard-verdict" data-verdict=${g.verdict}>${GUARD_WORDS[g.verdict] ?? g.verdict}</span>
          ${g.prunedDeployments.length > 0 ? html`<span class="dim" data-testid="guard-pruned"> · would prune ${g.prunedDeployments.join(', ')}</span>` : null}
          ${g.reasons.length > 0 ? html`<ul class="plain">${g.reasons.map((r) => html`<li data-testid="guard-reason">${r}</li>`)}</ul>` : null}
          ${g.verdict === 'needs-confirmation'
            ? session?.signedIn
              ? confirming
                ? html`<button type="button" class="danger" data-testid="confirm-prune" onClick=${confirm}>Confirm prune of ${short(plan.commit)}</button>
                    <button type="button" onClick=${() => setConfirming(false)}>Cancel</button>`
                : html`<button type="button" data-testid="prune" onClick=${() => setConfirming(true)}>Confirm prune…</button>`
              : html`<p class="dim">Sign in with the API token to confirm the prune.</p>`
            : null}
        </div>`
      : null}
  </section>`;
}

function NamespaceTree({ n, session, notify, now }) {
  const [busy, setBusy] = useState(false);
  return html`<main>
    <nav><a href="#/">← all namespaces</a></nav>
    <div class="toolbar">
      <h1 data-testid="ns-title">${n.name}</h1>
      <div class="badges"><${Badge} kind="sync" value=${n.sync} /> <${Badge} kind="health" value=${n.health} /></div>
      ${session?.signedIn
        ? html`<button type="button" data-testid="sync-now" disabled=${busy} onClick=${async () => {
            setBusy(true);
            try {
              const r = await api('POST', '/api/v1/sync', { csrf: session.csrf });
              notify(`Synced: the source is at ${short(r.commit)}.`);
            } catch (e) {
              notify(e.message, 'error');
            } finally {
              setBusy(false);
            }
          }}>Sync now</button>`
        : null}
    </div>
    <p class="meta">commit <span class="mono" data-testid="ns-commit">${short(n.lastAppliedCommit ?? n.lastAttemptedCommit)}</span>
      ${n.commit?.subject !== undefined ? html` “<span data-testid="ns-commit-subject">${n.commit.subject}</span>”` : null}
      ${n.commit?.author !== undefined ? html` by ${n.commit.author}` : null}
      ${' · '}last pass <span title=${n.lastPass}>${ago(n.lastPass, now)}</span>
      ${n.lastAttemptedCommit && n.lastAttemptedCommit !== n.lastAppliedCommit ? html` · attempted <span class="mono">${short(n.lastAttemptedCommit)}</span>` : null}</p>
    ${n.message ? html`<p class="message">${n.message}</p>` : null}
    <${LivePlan} n=${n} session=${session} notify=${notify} />
    ${n.diagnostics.length > 0
      ? html`<section><h2>Diagnostics</h2><ul class="plain">${n.diagnostics.map((g) => html`<li class=${g.severity}>${g.file ? `${g.file}${g.line ? `:${g.line}` : ''}: ` : ''}${g.message}</li>`)}</ul></section>`
      : null}
    <section>
      <h2>Deployments</h2>
      <ul class="tree" data-testid="tree">${n.deployments.map((d) => html`<${Deployment} ns=${n.name} d=${d} session=${session} key=${d.name} />`)}</ul>
    </section>
    ${n.services.length > 0
      ? html`<section><h2>Services</h2><ul class="tree">${n.services.map(
          (s) => html`<li class="node" data-testid="service" data-name=${s.name}>
            <span class="kind">Service</span><strong>${s.name}</strong><span>${s.type}</span><span class="mono">${s.clusterIP ?? ''}:${s.port}</span>
            ${s.listen ? html`<span class="mono dim">host ${s.listen}</span>` : null}
            <span class=${s.endpoints > 0 ? 'ok' : 'warn'} data-testid="endpoints">${s.endpoints} endpoints</span>
            ${s.error ? html`<span class="error">${s.error}</span>` : null}
          </li>`,
        )}</ul></section>`
      : null}
    ${n.ingresses?.length > 0
      ? html`<section><h2>Ingresses</h2><ul class="tree">${n.ingresses.map(
          (i) => html`<li class="node ingress" data-testid="ingress" data-name=${i.name}>
            <div class="row"><span class="kind">Ingress</span><strong>${i.name}</strong>${i.defaultBackend ? html`<span class="dim">default → <span class="mono">${i.defaultBackend}</span></span>` : null}</div>
            <ul>${i.routes.map(
              (r) => html`<li class="node" data-testid="ingress-route"><span class="kind">rule</span><span class="mono">${r.host ?? '*'}${r.path}</span><span class="dim">${r.pathType}</span><span>→ <span class="mono">${r.backend}</span></span></li>`,
            )}</ul>
          </li>`,
        )}</ul></section>`
      : null}
    ${n.configMaps?.length > 0
      ? html`<section><h2>ConfigMaps</h2><ul class="tree">${n.configMaps.map(
          (c) => html`<li class="node" data-testid="configmap" data-name=${c.name}>
            <span class="kind">ConfigMap</span><strong>${c.name}</strong>${c.immutable ? html`<span class="dim">immutable</span>` : null}
            <span class="mono" data-testid="configmap-keys">${c.keys.join(', ')}</span>
          </li>`,
        )}</ul></section>`
      : null}
    ${n.secrets?.length > 0
      ? html`<section><h2>Secrets</h2><ul class="tree">${n.secrets.map(
          (x) => html`<li class="node" data-testid="secret" data-name=${x.name}>
            <span class="kind">Secret</span><strong>${x.name}</strong>
            <span class="mono" data-testid="secret-keys">${x.keys.join(', ')}</span><span class="dim">used by ${x.usedBy.join(', ')}</span>
          </li>`,
        )}</ul></section>`
      : null}
    ${n.volumes.length > 0
      ? html`<section><h2>Volumes</h2><ul class="tree">${n.volumes.map(
          (v) => html`<li class="node" data-testid="volume"><span class="kind">PVC</span><strong>${v.name}</strong><span>${v.phase}</span><span class="mono dim">${v.volume}</span>${v.storage ? html`<span>${v.storage}</span>` : null}${v.message ? html`<span class="dim">${v.message}</span>` : null}</li>`,
        )}</ul></section>`
      : null}
    ${n.autoscalers.length > 0
      ? html`<section><h2>HorizontalPodAutoscalers</h2><ul class="tree">${n.autoscalers.map(
          (a) => html`<li class="node" data-testid="hpa">
            <span class="kind">HPA</span><strong>${a.name}</strong><span>→ ${a.target}</span><span>${a.replicas} replicas</span>
            ${a.metrics.map((m) => html`<span class="mono">${m.metric} ${m.current ?? '?'}/${m.target}${m.error ? ` (${m.error})` : ''}</span>`)}
            ${a.lastScale ? html`<span class="dim">last scale ${a.lastScale.from}→${a.lastScale.to} ${ago(a.lastScale.at, now)}: ${a.lastScale.reason}</span>` : null}
            ${a.conditions.filter((c) => c.status === 'False' || c.type === 'ScalingLimited').map((c) => html`<span class="dim">${c.type}=${c.status} (${c.reason})</span>`)}
          </li>`,
        )}</ul></section>`
      : null}
  </main>`;
}

/** Two revisions of a Deployment's history, field by field (GET …/diff: env values that look secret are masked). */
function RevisionDiff({ ns, name, revisions }) {
  const distinct = useMemo(() => [...new Set(revisions.map((r) => r.revision))], [revisions]);
  const [pick, setPick] = useState({});
  const from = pick.from ?? distinct[1];
  const to = pick.to ?? distinct[0];
  const [diff, setDiff] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    if (!from || !to) return;
    const q = `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    api('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}/diff?${q}`)
      .then((d) => {
        setDiff(d);
        setError(undefined);
      })
      .catch((e) => setError(e.message));
  }, [ns, name, from, to]);
  if (distinct.length < 2) return null;
  const select = (key, value, label) =>
    html`<label>${label} <select data-testid=${`diff-${key}`} value=${value} onChange=${(e) => setPick({ from, to, [key]: e.currentTarget.value })}>
      ${distinct.map((r) => html`<option value=${r}>${r}</option>`)}
    </select></label>`;
  return html`<section data-testid="revision-diff">
    <h2>Compare revisions</h2>
    <div class="toolbar">${select('from', from, 'from')} ${select('to', to, 'to')}</div>
    ${error ? html`<p class="error">${error}</p>` : null}
    ${diff
      ? html`${diff.notes.map((n) => html`<p class="dim" data-testid="diff-note">${n}</p>`)}
        ${diff.fields.length > 0
          ? html`<table>
              <thead><tr><th>field</th><th>change</th><th>${short(diff.from.commit)} (${diff.from.revision})</th><th>${short(diff.to.commit)} (${diff.to.revision})</th></tr></thead>
              <tbody>${diff.fields.map(
                (f) => html`<tr data-testid="diff-field" data-field=${f.field}>
                  <td class="mono field">${f.field}</td><td>${f.change}</td>
                  <td class="mono">${f.masked ? '(masked)' : (f.from ?? '')}</td><td class="mono">${f.masked ? '(masked)' : (f.to ?? '')}</td>
                </tr>`,
              )}</tbody>
            </table>`
          : null}`
      : null}
  </section>`;
}

function DeploymentHistory({ ns, name, d, session, notify, now }) {
  const [detail, setDetail] = useState(undefined);
  const [error, setError] = useState(undefined);
  const [confirming, setConfirming] = useState(undefined);
  const load = useCallback(() => {
    api('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}?limit=20`)
      .then((x) => {
        setDetail(x);
        setError(undefined);
      })
      .catch((e) => setError(e.message));
  }, [ns, name]);
  // Reload when the live view says the Deployment moved (a new revision, a pin, a phase).
  useEffect(load, [load, d?.revision, d?.pinnedTo, d?.phase]);
  const rollback = async (revision) => {
    setConfirming(undefined);
    try {
      const r = await api('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/deployments/${encodeURIComponent(name)}/rollback`, {
        body: { toRevision: revision },
        csrf: session.csrf,
      });
      notify(`Rolling back ${name}: pinned to ${r.pinnedTo}.`);
    } catch (e) {
      notify(`Rollback refused: ${e.message}`, 'error');
    }
  };
  const revisions = detail ? [...detail.revisions].reverse() : [];
  return html`<main>
    <nav><a href=${`#/ns/${encodeURIComponent(ns)}`}>← ${ns}</a></nav>
    <div class="toolbar"><h1>${name} <span class="dim">history</span></h1>${d ? html`<${Badge} kind="health" value=${d.health} />` : null}</div>
    ${d ? html`<p class="meta">runs revision <span class="mono" data-testid="current-revision">${d.revision}</span> · ${d.readyReplicas}/${d.replicas} ready${d.pinnedTo ? html` · <span class="warn">pinned to ${d.pinnedTo}</span>` : null}</p>` : null}
    ${error ? html`<p class="error">${error}</p>` : null}
    ${!session?.signedIn ? html`<p class="dim">Sign in with the API token to roll back.</p>` : null}
    <section>
      <h2>Revisions</h2>
      <table data-testid="revisions">
        <thead><tr><th>revision</th><th>commit</th><th>image</th><th>outcome</th><th>when</th><th><span class="sr">action</span></th></tr></thead>
        <tbody>
          ${revisions.map(
            (r) => html`<tr data-testid="history-revision" data-revision=${r.revision} key=${`${r.revision}-${r.time}`}>
              <td class="mono">${r.revision}${d && r.revision === d.revision ? html` <span class="ok">current</span>` : null}</td>
              <td class="mono">${short(r.commit)}</td>
              <td class="mono">${r.image}</td>
              <td>${r.outcome}${r.reason ? ` (${r.reason})` : ''}</td>
              <td title=${r.time}>${ago(r.time, now)}</td>
              <td>${session?.signedIn && d && r.revision !== d.revision && r.outcome !== 'failed'
                ? confirming === r.revision
                  ? html`<button type="button" class="danger" data-testid="confirm-rollback" onClick=${() => rollback(r.revision)}>Confirm rollback</button>
                      <button type="button" onClick=${() => setConfirming(undefined)}>Cancel</button>`
                  : html`<button type="button" data-testid="rollback" onClick=${() => setConfirming(r.revision)}>Roll back to this revision</button>`
                : null}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </section>
    <${RevisionDiff} ns=${ns} name=${name} revisions=${revisions} />
    <section>
      <h2>Passes over ${ns}</h2>
      <table>
        <thead><tr><th>when</th><th>commit</th><th>outcome</th><th>moves</th><th>message</th></tr></thead>
        <tbody>
          ${(detail?.history ?? []).slice().reverse().map(
            (p) => html`<tr><td title=${p.time}>${ago(p.time, now)}</td><td class="mono">${short(p.commit)}</td><td>${p.outcome}</td><td>${p.moves}</td><td>${p.message ?? ''}</td></tr>`,
          )}
        </tbody>
      </table>
    </section>
  </main>`;
}

function App() {
  const route = useRoute();
  const { view, live } = useLiveView();
  const now = useNow();
  const [session, setSession] = useState(undefined);
  const [note, setNote] = useState(undefined);
  const notify = useCallback((text, kind = 'info') => setNote({ text, kind }), []);
  useEffect(() => {
    api('GET', '/api/v1/session').then(setSession, () => setSession({ signedIn: false, writesEnabled: false }));
  }, []);
  const n = view && route.ns ? view.namespaces.find((x) => x.name === route.ns) : undefined;
  let body;
  if (!view) body = html`<main><p class="loading">Connecting…</p></main>`;
  else if (route.ns && !n) body = html`<main><nav><a href="#/">← all namespaces</a></nav><p class="empty">No namespace ${route.ns}.</p></main>`;
  else if (n && route.deployment)
    body = html`<${DeploymentHistory} ns=${n.name} name=${route.deployment} d=${n.deployments.find((x) => x.name === route.deployment)} session=${session} notify=${notify} now=${now} />`;
  else if (n) body = html`<${NamespaceTree} n=${n} session=${session} notify=${notify} now=${now} />`;
  else body = html`<${Overview} view=${view} now=${now} />`;
  return html`
    <header>
      <a class="brand" href="#/">berth</a>
      <span class="source">${view?.source ? html`source at <span class="mono" data-testid="source-commit">${short(view.source.commit)}</span>` : null}
        ${view?.source?.error ? html` <span class="error">${view.source.error}</span>` : null}</span>
      <span class=${`live live-${live}`} data-testid="live">${live}</span>
      <${SignIn} session=${session} setSession=${setSession} notify=${notify} />
    </header>
    <div role="status" aria-live="polite" class=${`note ${note?.kind ?? ''}`} data-testid="note">${note?.text ?? ''}</div>
    ${body}`;
}

// The server's "Loading…" placeholder is not preact's: clear it, or render would keep it below.
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
