/**
 * Every diagnostic code the manifests module emits, in one registry (the `code` of a
 * Diagnostic). Severity is decided where the diagnostic is made; the summary says which.
 */
export const MANIFEST_DIAGNOSTICS = {
  // files
  FILE_TOO_LARGE: { summary: 'A manifest file is larger than the size limit (default 1 MiB).' },
  FILE_NOT_UTF8: { summary: 'A manifest file is not valid UTF-8 text.' },
  FILE_BINARY: { summary: 'A manifest file contains NUL bytes (a binary file).' },
  FILE_EMPTY: { summary: 'A manifest file holds no YAML documents (an error: an emptied file must not prune what it defined; delete the file instead).' },
  // YAML
  YAML_SYNTAX: { summary: 'The YAML parser rejected the text.' },
  YAML_WARNING: { summary: 'The YAML parser accepted the text with a warning (e.g. an unresolved tag).' },
  YAML_DUPLICATE_KEY: { summary: 'A mapping holds the same key twice.' },
  YAML_TOO_DEEP: { summary: 'Collections are nested deeper than the limit (default 64).' },
  YAML_ALIAS_LIMIT: {
    summary: 'A document expands too many aliases (a YAML "billion laughs" bomb), or an alias sits inside the node it refers to (a recursive value).',
  },
  // documents
  NOT_A_MAPPING: { summary: 'A YAML document is not a mapping (an object).' },
  MISSING_KIND: { summary: 'A document has no (string) apiVersion or kind.' },
  UNKNOWN_KIND: { summary: 'A document has a kind berth does not know.' },
  WRONG_API_VERSION: { summary: 'A known kind has the wrong apiVersion.' },
  IGNORED_KIND: { summary: 'A Kubernetes kind berth accepts and ignores (ServiceAccount: there is no Kubernetes API to authenticate to); a warning.' },
  // fields
  UNKNOWN_FIELD: { summary: 'A field that does not exist (often a typo).' },
  UNSUPPORTED_FIELD: { summary: 'A Kubernetes field whose behaviour berth cannot honour yet.' },
  IGNORED_FIELD: { summary: 'A Kubernetes field that is meaningless on one host (a scheduling hint); berth drops it.' },
  NOT_ACTED_ON: { summary: 'A field berth validates but does not act on yet (none at the moment; probes were, until berth ran them).' },
  PROBE_PORT_NOT_FOUND: {
    summary:
      "A probe's httpGet/tcpSocket/grpc port names no port of the container, or is a number not among its TCP ports[].containerPort (berth probes through the port a replica publishes on 127.0.0.1).",
  },
  INVALID_IMAGE_REFERENCE: {
    summary:
      'A container image is not a valid reference (name[:tag][@digest], the distribution grammar the engine parses): e.g. a "." or ".." path component, an uppercase repository, a malformed tag or digest, a space or control character.',
  },
  MISSING_FIELD: { summary: 'A required field is absent.' },
  INVALID_VALUE: { summary: 'A field has the wrong type or an out-of-range value.' },
  INVALID_QUANTITY: { summary: 'A CPU or memory quantity is malformed or below what Docker accepts.' },
  SELECTOR_MISMATCH: { summary: 'spec.selector.matchLabels is not a subset of spec.template.metadata.labels.' },
  INVALID_STRATEGY: {
    summary:
      'The rollout strategy is inconsistent (an error, e.g. rollingUpdate with type Recreate) or cannot work on one host (a warning: a surging update with a hostPort).',
  },
  // namespace folders
  NAMESPACE_MISMATCH: { summary: 'metadata.namespace differs from the folder the file is in.' },
  NAMESPACE_NAME_MISMATCH: { summary: 'A Namespace object is not named after its folder.' },
  DUPLICATE_OBJECT: { summary: 'Two documents in one namespace folder define the same kind and name.' },
  HOST_PORT_CONFLICT: {
    summary:
      'Two hostPorts of the Deployments of one namespace folder (same number and protocol), or a TCP hostPort and a Service listen port, would bind the same port on --service-address.',
  },
  SERVICE_PORT_CONFLICT: {
    summary:
      'Two ports of the NodePort/LoadBalancer Services of one namespace folder would listen on the same host port (at nodePort when set, else at port). ClusterIP Services never conflict: each has its own virtual address.',
  },
  SERVICE_TARGET_PORT_UNKNOWN: {
    summary:
      'A Service port targets a port name that no container of the Deployments the Service selects declares: it has no endpoint and every call to it is refused (a warning, as Kubernetes accepts it).',
  },
  SERVICE_HOST_PORT_CONFLICT: {
    summary:
      'A NodePort/LoadBalancer Service would listen on the same host port as one of another namespace folder; both files are named. The namespace whose file comes second (by namespace name) is the one refused.',
  },
  SERVICE_NOT_FOUND: { summary: 'An Ingress backend names a Service not defined in the same namespace folder.' },
  SERVICE_PORT_NOT_FOUND: { summary: 'An Ingress backend names a port (number or name) that its Service does not declare in spec.ports.' },
  QUOTA_EXCEEDED: {
    summary:
      "The namespace folder's Deployments (or objects) add up to more than a ResourceQuota of the folder allows (pods = Σ spec.replicas, limits.cpu/limits.memory = Σ replicas × the container's limit, object counts). Reported on the Deployment (or object) that takes the total over, with the arithmetic. berth counts steady-state replicas: a rolling update's surge (maxSurge) may exceed pods while it runs.",
  },
  QUOTA_LIMIT_REQUIRED: {
    summary:
      'A ResourceQuota of the folder bounds limits.cpu or limits.memory, and a container of a Deployment with replicas sets no such limit (Kubernetes refuses such pods under that quota).',
  },
  SECRET_REF_NOT_FOUND: {
    summary:
      'An env[].valueFrom.secretKeyRef, or a secret volume (volumes[].secret.secretName, items[].key), names a Secret not defined in the same namespace folder, or a key that Secret does not declare (and is not optional: true).',
  },
  CONFIGMAP_REF_NOT_FOUND: {
    summary:
      'An env[].valueFrom.configMapKeyRef, envFrom[].configMapRef or configMap volume (volumes[].configMap.name, items[].key) names a ConfigMap not defined in the same namespace folder, or a key it does not hold (env reads data only), and is not optional: true.',
  },
  CONFIGMAP_TOO_LARGE: { summary: "A ConfigMap's values (data as UTF-8, binaryData decoded) add up to more than 1 MiB (1,048,576 bytes), Kubernetes' limit." },
  CONFIGMAP_IMMUTABLE_CHANGED: {
    summary:
      'A warning of `berth plan --base/--head`: a ConfigMap that is immutable: true in the base changes its content in the head. Kubernetes would refuse the update; berth rolls the Deployments that use it, as for any ConfigMap.',
  },
  CONFIGMAP_DUPLICATE_KEY: { summary: 'A ConfigMap key is in both data and binaryData.' },
  CLAIM_NOT_FOUND: { summary: 'A volumes[].persistentVolumeClaim.claimName names a PersistentVolumeClaim not defined in the same namespace folder.' },
  WORKLOAD_NAME_CONFLICT: {
    summary:
      'A Deployment and a StatefulSet share a name, or a workload is named like a replica of a StatefulSet (<name>-<ordinal>): berth names replicas, hostnames and volumes by these names, so they must be unique in the folder.',
  },
  STATEFULSET_SERVICE: {
    summary:
      "A StatefulSet's serviceName names no Service of the folder, or one that is not headless (clusterIP: None): its replicas run, without their <name>-<ordinal>.<serviceName> DNS names (a warning, as in Kubernetes).",
  },
  CLAIM_ACCESS_CONFLICT: {
    summary:
      'A ReadWriteOncePod PersistentVolumeClaim is mounted by two Deployments, by a Deployment with more than one replica, or by one whose rolling update would surge a second replica (use strategy Recreate or maxSurge: 0).',
  },
  AUTOSCALER_TARGET_NOT_FOUND: {
    summary: "A HorizontalPodAutoscaler's spec.scaleTargetRef names a Deployment not defined in the same namespace folder.",
  },
  AUTOSCALER_CONFLICT: { summary: 'Two HorizontalPodAutoscalers of one namespace folder scale the same Deployment (Kubernetes: AmbiguousSelector).' },
  AUTOSCALER_SINGLE_REPLICA: {
    summary:
      'A HorizontalPodAutoscaler may scale beyond one replica a Deployment that can run one only on one host: it publishes a hostPort, uses the host network with ports, or mounts a ReadWriteOncePod claim.',
  },
  AUTOSCALER_MISSING_REQUEST: {
    summary:
      "A HorizontalPodAutoscaler's Utilization metric is a percent of the containers' resources.requests, and a container of its target Deployment requests none of that resource.",
  },
  SYMLINK: { summary: 'A symlink; berth never follows symlinks (an error for *.yaml in a namespace folder, else a warning).' },
  SUBMODULE: { summary: 'A Git submodule (warning); berth ignores it.' },
  NESTED_FILE: { summary: 'A *.yaml file in a sub-folder of a namespace folder; berth reads only files directly in the folder.' },
  ROOT_FILE: { summary: 'A *.yaml file directly in the manifest root belongs to no namespace and is ignored.' },
  INVALID_FOLDER_NAME: {
    summary:
      'A folder that holds manifests is not named as a DNS label, so it cannot be a namespace; it is skipped (an error when it holds *.yaml files, else a warning).',
  },
} as const satisfies Record<string, { summary: string }>;

export type ManifestDiagnosticCode = keyof typeof MANIFEST_DIAGNOSTICS;
