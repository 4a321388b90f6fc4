import type { Command } from 'commander';
import type { CommonOptions } from '../adapters.js';
import type { ParsedFlags } from '../parsed-flags.js';
import { BerthError } from '../../core/index.js';
import { volumeName } from '../../desired/index.js';
import { write } from '../output.js';
import { isStructured, renderStructured } from '../structured-output.js';
import { deploymentTarget } from '../option-values.js';
import { type CliContext, commonOptions, type FlagContext, type OutputFormat, outputFormat, outputOption } from './shared.js';

export interface VolumeDeleteOptions extends CommonOptions {
  readonly output: OutputFormat;
}

export function volumeDeleteOptions(flags: ParsedFlags, ctx: FlagContext): VolumeDeleteOptions {
  return { ...commonOptions(flags, ctx), output: outputFormat(flags) };
}

/** `berth volume`. */
export function registerVolume(program: Command, ctx: CliContext): void {
  const { adapters, common } = ctx;
  const volume = program.command('volume').description("PersistentVolumeClaims' Docker volumes: berth never deletes one by itself");
  common(volume.command('delete'))
    .description(
      'delete the Docker volume of a claim, with its data, on the local engine (refused while any container uses it); for a volume berth reports orphaned. A claim still in Git gets a new, empty volume at the next pass',
    )
    .argument('<namespace/name>', 'the claim', deploymentTarget)
    .addOption(outputOption())
    .action(async ([namespace, name]: [string, string], flags: ParsedFlags) => {
      const o = volumeDeleteOptions(flags, ctx);
      const driver = await adapters.openDriver(o, adapters.logger(o.logLevel));
      const volumeOf = volumeName(o.instance, namespace, name);
      const owned = (await driver.inventory({ namespace })).volumes?.find((v) => v.name === volumeOf);
      if (!owned) throw new BerthError('NOT_FOUND', `berth (instance ${o.instance}) owns no volume ${volumeOf} for claim ${namespace}/${name}`);
      await driver.removeVolume(volumeOf);
      write(
        isStructured(o.output)
          ? renderStructured(o.output, { deleted: volumeOf, namespace, name })
          : `deleted volume ${volumeOf} of claim ${namespace}/${name} with its data`,
      );
    });
}
