import { ownValue } from '../core/index.js';
import type { NamespaceStatus, Store } from '../store/index.js';
import { autoscaleEventFor } from './events.js';
import type { Notifier } from './notifier.js';

/**
 * The store as the controller writes it, telling `notifier` about every namespace status and
 * source commit written. The controller knows nothing of notifications, and a notification
 * never delays a pass (the notifier only queues).
 */
export function notifyingStore(store: Store, notifier: Notifier): Store {
  if (!notifier.enabled) return store;
  return {
    readState: () => store.readState(),
    async putNamespace(status: NamespaceStatus): Promise<void> {
      const prev = ownValue(store.readState().namespaces, status.namespace);
      await store.putNamespace(status);
      notifier.statusWritten(prev, status, store.readState());
    },
    removeNamespace: (namespace) => store.removeNamespace(namespace),
    async putSource(source): Promise<void> {
      const before = store.readState().source?.commit;
      await store.putSource(source);
      if (source.commit && source.commit !== before) notifier.commitPickedUp(source.commit, store.readState());
    },
    appendHistory: (record) => store.appendHistory(record),
    recordRevision: (key, record, limit) => store.recordRevision(key, record, limit),
    putPin: (pin) => store.putPin(pin),
    removePin: (key) => store.removePin(key),
    async putAutoscaler(record, options): Promise<void> {
      const prev = ownValue(store.readState().autoscalers, `${record.namespace}/${record.name}`);
      await store.putAutoscaler(record, options);
      const event = autoscaleEventFor(prev, record, store.readState());
      if (event) notifier.event(event);
    },
    removeAutoscaler: (key) => store.removeAutoscaler(key),
    confirmPrune: (commit, confirmation) => store.confirmPrune(commit, confirmation),
    readHistory: (filter) => store.readHistory(filter),
  };
}
