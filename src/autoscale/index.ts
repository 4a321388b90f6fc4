/**
 * autoscale: the HorizontalPodAutoscaler algorithm (Kubernetes' replica calculator, behavior
 * stabilization and rate policies, conditions). Pure: the caller brings samples, time and
 * history (controller/autoscaler.ts measures, decides and stores; plan shows what it stored).
 */
export * from './algorithm.js';
export * from './quota.js';
