import { ObjectSizer, firstOversizedPackEntry } from './src/source/object-header.js';
import { readFileSync, readdirSync } from 'node:fs';
const gitdir = '/tmp/b-objtest/r/.git';
const oids = process.argv.slice(2);
const s = new ObjectSizer(gitdir);
for (const o of oids) console.log(o, JSON.stringify(await s.sizeOf(o)));
const packs = readdirSync(gitdir + '/objects/pack').filter((n) => n.endsWith('.pack'));
for (const p of packs) console.log(p, firstOversizedPackEntry(readFileSync(gitdir + '/objects/pack/' + p), 1_000_000), firstOversizedPackEntry(readFileSync(gitdir + '/objects/pack/' + p), 10_000_000));
s.invalidate();
