/** Sizes as the cluster file writes them, nginx-style: `512k`, `256m`, `1g` (a plain number is bytes). */
export function parseSize(text: string): number {
  const m = /^([1-9][0-9]*)([kmg]?)$/i.exec(text.trim());
  if (!m) throw new Error(`${JSON.stringify(text)} is not a size like 256m or 1g`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] as string).toLowerCase()] as number;
  return Number(m[1]) * unit;
}
