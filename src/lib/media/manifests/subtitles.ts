/**
 * Subtitle tracks (WebVTT files from the source's text subtitles) added to a packaged title's
 * manifests, so players offer them: an HLS subtitle media playlist per track with an
 * EXT-X-MEDIA TYPE=SUBTITLES entry in the master (and SUBTITLES="subs" on every variant), and a
 * text/vtt adaptation set per track in the MPD.
 */
export interface SubtitleRef {
  language: string;
  title: string | null;
  default: boolean;
  forced: boolean;
  /** the .vtt, relative to the manifests */
  file: string;
}

const quoteSafe = (s: string) => s.replace(/"/g, "'");

export function subtitlePlaylistName(t: SubtitleRef): string {
  return t.file.replace(/\.vtt$/, '.m3u8');
}

/** A VOD media playlist with the whole WebVTT file as its one segment. */
export function subtitlePlaylist(durationSeconds: number, t: SubtitleRef): string {
  const name = t.file.slice(t.file.lastIndexOf('/') + 1);
  const target = Math.max(1, Math.ceil(durationSeconds));
  return [
    '#EXTM3U',
    '#EXT-X-VERSION:3',
    `#EXT-X-TARGETDURATION:${target}`,
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-PLAYLIST-TYPE:VOD',
    `#EXTINF:${durationSeconds.toFixed(3)},`,
    name,
    '#EXT-X-ENDLIST',
    '',
  ].join('\n');
}

export function addSubtitlesToMaster(master: string, tracks: SubtitleRef[]): string {
  if (tracks.length === 0) return master;
  const media = tracks.map((t, i) => {
    const name = quoteSafe(t.title ?? `${t.language}${t.forced ? ' (forced)' : ''}`);
    const isDefault = t.default || (i === 0 && !tracks.some((x) => x.default));
    return `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="${name}",LANGUAGE="${t.language}",DEFAULT=${isDefault ? 'YES' : 'NO'},AUTOSELECT=YES,FORCED=${t.forced ? 'YES' : 'NO'},URI="${subtitlePlaylistName(t)}"`;
  });
  const lines = master.split('\n');
  const firstStream = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF'));
  const at = firstStream < 0 ? lines.length : firstStream;
  const out = [...lines.slice(0, at), ...media, ...lines.slice(at)];
  return out
    .map((l) =>
      l.startsWith('#EXT-X-STREAM-INF:') && !l.includes('SUBTITLES=') ? `${l},SUBTITLES="subs"` : l,
    )
    .join('\n');
}

export function addSubtitlesToMpd(mpd: string, tracks: SubtitleRef[]): string {
  if (tracks.length === 0) return mpd;
  const sets = tracks
    .map(
      (t, i) =>
        `\t\t<AdaptationSet id="${100 + i}" contentType="text" mimeType="text/vtt" lang="${t.language}">\n` +
        `\t\t\t<Role schemeIdUri="urn:mpeg:dash:role:2011" value="${t.forced ? 'forced-subtitle' : 'subtitle'}"/>\n` +
        `\t\t\t<Representation id="sub${i}" bandwidth="256">\n\t\t\t\t<BaseURL>${t.file}</BaseURL>\n\t\t\t</Representation>\n` +
        '\t\t</AdaptationSet>\n',
    )
    .join('');
  const i = mpd.lastIndexOf('</Period>');
  if (i < 0) throw new Error('MPD has no </Period>');
  return `${mpd.slice(0, i)}${sets}\t${mpd.slice(i)}`;
}
