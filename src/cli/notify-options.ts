/**
 * `berth run`'s notification flags (issue #13, item 2), and the NotifyConfig they make.
 * Receivers come from flags or the environment, never from Git; secrets only from the environment:
 *   --notify-webhook URL (repeatable; also BERTH_NOTIFY_WEBHOOKS, comma-separated), signed with BERTH_NOTIFY_SECRET
 *   --notify-slack URL   (repeatable; also BERTH_NOTIFY_SLACK): Slack/Mattermost incoming webhooks
 *   --commit-status github|gitea|gitlab --commit-status-repo REPO [--commit-status-api URL], token BERTH_COMMIT_STATUS_TOKEN
 *   --dashboard-url URL  the link in messages and statuses (default: the dashboard on --listen)
 */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { BerthError } from '../core/index.js';
import { type CommitStatusProvider, DEFAULT_COMMIT_STATUS_API, type NotifyConfig } from '../notify/index.js';
import { collectUrl, httpUrl } from './option-values.js';
import { listFlag, optionalChoiceFlag, optionalTextFlag, type ParsedFlags } from './parsed-flags.js';

const PROVIDERS = ['github', 'gitea', 'gitlab'] as const;

export function notifyOptions(cmd: Command): Command {
  return cmd
    .option('--notify-webhook <url>', 'POST a berth JSON event here on sync/rollout/prune events (repeatable; HMAC key: BERTH_NOTIFY_SECRET)', collectUrl)
    .option('--notify-slack <url>', 'a Slack or Mattermost incoming webhook for the same events (repeatable)', collectUrl)
    .addOption(new Option('--commit-status <provider>', 'set commit statuses on the forge (token: BERTH_COMMIT_STATUS_TOKEN)').choices(PROVIDERS))
    .option('--commit-status-repo <repo>', 'owner/name (GitHub, Gitea) or project id or path (GitLab)', (v: string) => {
      if (!/^[\w.-]+(\/[\w.-]+)*$/.test(v))
        throw new InvalidArgumentError(`${JSON.stringify(v.slice(0, 200))} is not a repository; allowed: owner/name or a GitLab project id or path`);
      return v;
    })
    .option('--commit-status-api <url>', 'the forge API base (default: https://api.github.com, https://gitlab.com; required for Gitea)', httpUrl)
    .option('--dashboard-url <url>', 'the link in notifications and commit statuses (default: http://<--listen>/)', httpUrl);
}

/** The values of `notifyOptions()`, each checked by its option parser. */
export interface NotifyFlags {
  readonly notifyWebhook: readonly string[];
  readonly notifySlack: readonly string[];
  readonly commitStatus?: CommitStatusProvider;
  readonly commitStatusRepo?: string;
  readonly commitStatusApi?: string;
  readonly dashboardUrl?: string;
}

export function notifyFlags(flags: ParsedFlags): NotifyFlags {
  const commitStatus = optionalChoiceFlag(flags, 'commitStatus', PROVIDERS);
  const commitStatusRepo = optionalTextFlag(flags, 'commitStatusRepo');
  const commitStatusApi = optionalTextFlag(flags, 'commitStatusApi');
  const dashboardUrl = optionalTextFlag(flags, 'dashboardUrl');
  return {
    notifyWebhook: listFlag(flags, 'notifyWebhook'),
    notifySlack: listFlag(flags, 'notifySlack'),
    ...(commitStatus !== undefined ? { commitStatus } : {}),
    ...(commitStatusRepo !== undefined ? { commitStatusRepo } : {}),
    ...(commitStatusApi !== undefined ? { commitStatusApi } : {}),
    ...(dashboardUrl !== undefined ? { dashboardUrl } : {}),
  };
}

function fromEnv(name: string, env: NodeJS.ProcessEnv): string[] {
  return (env[name] ?? '')
    .split(/[\s,]+/)
    .filter((v) => v !== '')
    .map((v) => {
      try {
        return httpUrl(v);
      } catch (err) {
        throw new BerthError('USAGE', `${name}: ${(err as Error).message}`);
      }
    });
}

/** The NotifyConfig of `run`'s flags and environment; USAGE errors name the missing piece. */
export function notifyConfig(flags: NotifyFlags, env: NodeJS.ProcessEnv, listen: string | undefined): NotifyConfig {
  const provider = flags.commitStatus;
  let commitStatus: NotifyConfig['commitStatus'];
  if (provider) {
    const repo = flags.commitStatusRepo;
    const api = flags.commitStatusApi ?? DEFAULT_COMMIT_STATUS_API[provider];
    const token = env.BERTH_COMMIT_STATUS_TOKEN;
    if (!repo) throw new BerthError('USAGE', `--commit-status ${provider} needs --commit-status-repo (owner/name, or a GitLab project)`);
    if (!api) throw new BerthError('USAGE', `--commit-status ${provider} needs --commit-status-api (the server's base URL)`);
    if (!token) throw new BerthError('USAGE', `--commit-status ${provider} needs a token in BERTH_COMMIT_STATUS_TOKEN`);
    commitStatus = { provider, repo, api, token };
  } else if (flags.commitStatusRepo || flags.commitStatusApi) {
    throw new BerthError('USAGE', '--commit-status-repo and --commit-status-api need --commit-status github|gitea|gitlab');
  }
  const dashboardUrl = flags.dashboardUrl ?? (listen ? `http://${listen}/` : undefined);
  return {
    webhooks: [...flags.notifyWebhook, ...fromEnv('BERTH_NOTIFY_WEBHOOKS', env)],
    slack: [...flags.notifySlack, ...fromEnv('BERTH_NOTIFY_SLACK', env)],
    ...(env.BERTH_NOTIFY_SECRET ? { secret: env.BERTH_NOTIFY_SECRET } : {}),
    ...(commitStatus ? { commitStatus } : {}),
    ...(dashboardUrl ? { dashboardUrl } : {}),
  };
}
