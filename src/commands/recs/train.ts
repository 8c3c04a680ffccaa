import { Flags } from '@oclif/core';
import { FlixCommand, nameFlag } from '../../lib/core/command.js';
import { resolveClusterName } from '../../lib/core/paths.js';
import { trainRecs } from '../../lib/ops/recs/train.js';
import { renderTraining } from '../../lib/ops/views/recs-view.js';

export default class RecsTrain extends FlixCommand {
  static override summary = 'Train the recommendations: implicit ALS on Spark, blended with genre similarity';
  static override description =
    "The offline batch job: Spark MLlib in local mode (fetched from Maven Central on first use, about 250 MB) trains implicit-feedback ALS on every user's viewing history (live and compressed; a view weighs the share of the title watched) and blends it with genre similarity. It is measured first: trained without a held-out fifth of each user's views, its precision@k and recall@k on them are reported beside the popularity baseline's. It is then trained on everything, and each user's picks and each title's similar titles are written to Cassandra, where the recommendations service reads them.\n\nWith --synthetic it trains and measures on a generated viewing set with planted taste groups instead (no cluster needed, nothing written): a working model must beat popularity there.\n\nExit codes: 0 trained, 2 bad flags, 7 cluster not running, 9 Spark could not be fetched, 14 the Spark job failed, 15 no viewing history yet.";
  static override examples = [
    '<%= config.bin %> recs train',
    '<%= config.bin %> recs train --synthetic --json',
    '<%= config.bin %> recs train --synthetic --users 1000 --titles 300 --seed 7',
  ];
  static override flags = {
    name: nameFlag,
    synthetic: Flags.boolean({
      description: 'measure on a planted viewing set instead of the cluster (writes nothing)',
    }),
    users: Flags.integer({
      description: 'users in the planted set [default: 300]',
      min: 10,
      max: 100_000,
      dependsOn: ['synthetic'],
    }),
    titles: Flags.integer({
      description: 'titles in the planted set [default: 120]',
      min: 30,
      max: 10_000,
      dependsOn: ['synthetic'],
    }),
    seed: Flags.integer({ description: 'seed of the planted set [default: 1]', dependsOn: ['synthetic'] }),
    k: Flags.integer({
      description: 'recommendations per user (and the k of precision@k)',
      default: 10,
      min: 1,
      max: 100,
    }),
    blend: Flags.string({
      description: 'weight of genre similarity against ALS, 0..1',
      default: '0.2',
      helpValue: '0.2',
    }),
  };

  async run() {
    const { flags } = await this.parse(RecsTrain);
    const blend = Number(flags.blend);
    if (!(blend >= 0 && blend <= 1))
      this.error(`--blend must be a number from 0 to 1, not ${JSON.stringify(flags.blend)}`, { exit: 2 });
    const report = await trainRecs(
      {
        source: flags.synthetic
          ? { synthetic: { users: flags.users ?? 300, titles: flags.titles ?? 120, seed: flags.seed ?? 1 } }
          : { cluster: resolveClusterName(flags.name) },
        k: flags.k,
        blend,
        signal: this.signal,
      },
      (line) => process.stderr.write(`${line}\n`),
    );
    if (!this.jsonEnabled()) this.log(renderTraining(report));
    return report;
  }
}
