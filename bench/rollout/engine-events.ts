/**
 * The engine's container events (create, start, health_status, kill, die, destroy, …) for the
 * containers carrying a label, with the engine's own times (timeNano, epoch ms): when a
 * container really got its stop signal and really exited, whatever the API calls around them
 * took.
 */
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';

/** The engine's container events (create, start, health_status, kill, die, …) for containers carrying `label`, with their engine times. */
export class ContainerEvents {
  readonly events: { id: string; action: string; at: number }[] = [];
  private readonly abort = new AbortController();

  static async start(docker: Docker, label: string): Promise<ContainerEvents> {
    const w = new ContainerEvents();
    const stream = (await docker.getEvents({
      filters: { type: ['container'], label: [label] },
      abortSignal: w.abort.signal,
    } as Docker.GetEventsOptions)) as Readable;
    stream.on('error', () => undefined);
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('error', () => undefined);
    lines.on('line', (line) => {
      try {
        const e = JSON.parse(line) as { id?: string; Action?: string; timeNano?: number };
        if (e.id && e.Action && e.timeNano) w.events.push({ id: e.id, action: e.Action, at: e.timeNano / 1e6 });
      } catch {
        // not an event
      }
    });
    return w;
  }

  first(id: string | undefined, action: string): number | undefined {
    return id ? this.events.find((e) => e.id === id && e.action === action)?.at : undefined;
  }

  stop(): void {
    this.abort.abort();
  }
}
