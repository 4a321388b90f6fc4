#!/usr/bin/env node
// berth runs its TypeScript sources as one bundle (bin/bundle.mjs rebuilds it when they change),
// or through tsx when BERTH_BUNDLE=0 or the bundle cannot be built.
import { bundledEntry } from './bundle.mjs';

const entry = await bundledEntry();
if (entry) {
  process.setSourceMapsEnabled(true);
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
