import { Args, Flags } from '@oclif/core';
import { FlixCommand, viewerFlags } from '../lib/core/command.js';
import { viewerOf } from '../lib/ops/viewer.js';
import { renderSearch } from '../lib/ops/views/engage-view.js';
import { search } from '../lib/player/client/viewer-api.js';

export default class Search extends FlixCommand {
  static override summary =
    'Search titles as a viewer: typos forgiven, matches as you type, filtered by genre and year';
  static override description =
    "Asks the search service through the ELB and gateway. It finds only titles licensed in the user's region. Hits are ordered by relevance, then by plays. When Elasticsearch is down, the answer comes from the catalog's exact word match and is marked degraded.\n\nExit codes: 0 answered (degraded or not), 2 bad flags or no/invalid token, 7 cluster not running, 8 the API failed, 12 the query was refused as invalid.";
  static override examples = [
    '<%= config.bin %> search "big trp" --user alice',
    '<%= config.bin %> search "big t" --genre drama --year 2024 --user alice --json',
  ];
  static override args = { query: Args.string({ description: 'what to search for', required: true }) };
  static override flags = {
    ...viewerFlags,
    genre: Flags.string({ char: 'g', description: 'only titles of this genre' }),
    year: Flags.integer({ char: 'y', description: 'only titles of this release year', min: 1870, max: 2100 }),
    limit: Flags.integer({ char: 'l', description: 'most hits to show', default: 20, min: 1, max: 50 }),
  };

  async run() {
    const { args, flags } = await this.parse(Search);
    const viewer = await viewerOf(flags);
    const answer = await search(viewer, {
      q: args.query,
      genre: flags.genre,
      year: flags.year,
      limit: flags.limit,
    });
    if (!this.jsonEnabled()) this.log(renderSearch(answer));
    return answer;
  }
}
