/**
 * The Swarm secrets behind a replica's Secret and ConfigMap files (map.ts fileSecrets): made when
 * missing (content-addressed, so replicas with the same file share one), removed once no service
 * uses them.
 */
import type Docker from 'dockerode';
import { BerthError, type Clock, type Logger } from '../../core/index.js';
import type { ContainerSpec } from '../driver.js';
import { engineCall, engineMessage, engineStatus, toEngineError } from '../docker/errors.js';
import { isOwned, LABEL, ownedFilter } from '../labels.js';
import { fileSecrets, MAX_SECRET_BYTES, type FileSecret } from './map.js';
import type { SwarmService } from './replica-state.js';

interface SwarmSecret {
  readonly ID?: string;
  readonly CreatedAt?: string;
  readonly Spec?: { readonly Name?: string; readonly Labels?: Record<string, string> };
}

export class FileSecrets {
  constructor(
    private readonly o: {
      readonly api: Docker;
      readonly instance: string;
      readonly socketPath: string;
      readonly clock: Clock;
      readonly log: Logger;
    },
  ) {}

  /** The Swarm secrets holding a replica's Secret and ConfigMap files (map.ts fileSecrets), made when missing. */
  async ensure(spec: ContainerSpec): Promise<(FileSecret & { readonly id: string })[]> {
    const wanted = fileSecrets(spec, this.o.instance);
    if (wanted.length === 0) return [];
    const big = wanted.find((f) => f.bytes > MAX_SECRET_BYTES);
    if (big)
      throw new BerthError(
        'CONTAINER_START_FAILED',
        `replica ${spec.name}: file ${big.target} holds ${big.bytes} bytes; a Swarm secret holds at most ${MAX_SECRET_BYTES} (500 KiB)`,
        { details: { container: spec.name, driver: 'swarm' } },
      );
    const owned = async () =>
      new Map(
        (
          (await engineCall(this.o.socketPath, 'list secrets', () =>
            this.o.api.listSecrets({ filters: { label: ownedFilter(this.o.instance) } }),
          )) as SwarmSecret[]
        )
          .filter((x) => isOwned(x.Spec?.Labels, this.o.instance) && x.ID && x.Spec?.Name)
          .map((x) => [x.Spec!.Name!, x.ID!]),
      );
    const ids = await owned();
    for (const f of wanted) {
      if (ids.has(f.name)) continue;
      try {
        const made = (await this.o.api.createSecret({
          Name: f.name,
          Labels: { [LABEL.managed]: 'true', [LABEL.instance]: this.o.instance },
          Data: f.data,
        })) as { id?: string; ID?: string };
        ids.set(f.name, made.id ?? made.ID ?? '');
      } catch (err) {
        // Made meanwhile by another replica of the same content: take it.
        if (engineStatus(err) !== 409) throw toEngineError(err, this.o.socketPath, `create secret ${f.name} for ${spec.name}`);
        const again = await owned();
        const id = again.get(f.name);
        if (!id) throw toEngineError(err, this.o.socketPath, `create secret ${f.name} for ${spec.name}`);
        ids.set(f.name, id);
      }
    }
    return wanted.map((f) => ({ ...f, id: ids.get(f.name)! }));
  }

  /**
   * Removes the owned file secrets no service uses any more. Only those older than a minute: a
   * replica being created right now may have made its secret and not yet its service.
   */
  async prune(): Promise<void> {
    const [secrets, services] = await Promise.all([
      engineCall(this.o.socketPath, 'list secrets', () => this.o.api.listSecrets({ filters: { label: ownedFilter(this.o.instance) } })) as Promise<
        SwarmSecret[]
      >,
      engineCall(this.o.socketPath, 'list services', () => this.o.api.listServices({ filters: { label: ownedFilter(this.o.instance) } })) as Promise<
        SwarmService[]
      >,
    ]);
    const used = new Set(
      services.flatMap((x) =>
        ((x.Spec as { TaskTemplate?: { ContainerSpec?: { Secrets?: { SecretID?: string }[] } } } | undefined)?.TaskTemplate?.ContainerSpec?.Secrets ?? []).map(
          (r) => r.SecretID,
        ),
      ),
    );
    const cutoff = this.o.clock.now().getTime() - 60_000;
    for (const x of secrets) {
      if (!x.ID || used.has(x.ID) || !isOwned(x.Spec?.Labels, this.o.instance) || Date.parse(x.CreatedAt ?? '') > cutoff) continue;
      await this.o.api
        .getSecret(x.ID)
        .remove()
        .then(
          () => this.o.log.info({ secret: x.Spec?.Name }, 'unused file secret removed'),
          (err: unknown) => this.o.log.debug({ secret: x.Spec?.Name, err: engineMessage(err) }, 'file secret kept (in use, or gone)'),
        );
    }
  }
}
