// Test-only: a strict reader of the Prometheus text exposition format (version 0.0.4), so the
// tests check what a scraper would accept rather than search for substrings. Production code
// never imports this. https://prometheus.io/docs/instrumenting/exposition_formats/

/** One sample line. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A metric family: its `# TYPE`, `# HELP` and samples. */
export interface PromFamily {
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help: string | null;
  samples: PromSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const HELP_LINE = new RegExp(`^# HELP (${NAME}) (.*)$`);
const TYPE_LINE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
// Go's ParseFloat (Prometheus's own parser) takes NaN and Inf in any case; prom-client writes `Nan`.
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|nan|[+-]?inf)$/i;
const SUFFIXES: Record<PromFamily['type'], readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Parses exposition text; throws naming the first offending line. Beyond the grammar it checks
 * what a scraper relies on: TYPE before samples and at most once, a family's samples together,
 * no series twice, counters not negative, histogram buckets cumulative up to `+Inf` = `_count`.
 */
export function parsePromText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  let current: string | null = null;
  const family = (name: string): PromFamily => {
    if (current !== name && families.has(name)) throw new Error(`${name}: family split in two`);
    current = name;
    let found = families.get(name);
    if (!found) families.set(name, (found = { type: 'untyped', help: null, samples: [] }));
    return found;
  };
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1} ${JSON.stringify(line)}`;
    if (line === '') return;
    const help = HELP_LINE.exec(line);
    const type = TYPE_LINE.exec(line);
    if (help) {
      const found = family(help[1]!);
      if (found.help !== null) throw new Error(`${where}: second HELP`);
      found.help = help[2]!;
    } else if (type) {
      const found = family(type[1]!);
      if (found.samples.length > 0 || found.type !== 'untyped')
        throw new Error(`${where}: TYPE after samples or twice`);
      found.type = type[2] as PromFamily['type'];
    } else if (line.startsWith('#')) {
      throw new Error(`${where}: a comment other than HELP or TYPE`);
    } else {
      const sample = parseSample(line, where);
      const owner = ownerOf(sample.name, families, current);
      const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
      if (seen.has(key)) throw new Error(`${where}: series repeated`);
      seen.add(key);
      family(owner).samples.push(sample);
    }
  });
  for (const [name, found] of families) checkFamily(name, found);
  return families;
}

/** The value of one series; throws when the series is absent. */
export function sampleValue(
  families: Map<string, PromFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const found of families.values()) {
    for (const sample of found.samples) {
      const same =
        sample.name === name &&
        Object.keys(sample.labels).length === Object.keys(labels).length &&
        Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
      if (same) return sample.value;
    }
  }
  throw new Error(`no series ${name}${JSON.stringify(labels)}`);
}

function parseSample(line: string, where: string): PromSample {
  const match = SAMPLE_LINE.exec(line);
  if (!match || !VALUE.test(match[3]!)) throw new Error(`${where}: not a HELP, TYPE or sample line`);
  const labels: Record<string, string> = {};
  let rest = match[2] ?? '';
  while (rest !== '') {
    const label = LABEL.exec(rest);
    if (!label) throw new Error(`${where}: malformed labels`);
    if (label[1]! in labels) throw new Error(`${where}: label ${label[1]} twice`);
    labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(label[0].length);
    if (label[3] === ',' && rest === '') break; // a trailing comma is allowed
  }
  return { name: match[1]!, labels, value: numberOf(match[3]!) };
}

function numberOf(text: string): number {
  const lower = text.toLowerCase();
  if (lower === 'nan') return NaN;
  if (lower.endsWith('inf')) return lower.startsWith('-') ? -Infinity : Infinity;
  return Number(text);
}

/** The family a sample belongs to: the current one when its name fits it, else its own name. */
function ownerOf(name: string, families: Map<string, PromFamily>, current: string | null): string {
  if (current !== null) {
    const suffixes = SUFFIXES[families.get(current)!.type];
    if (suffixes.some((suffix) => `${current}${suffix}` === name)) return current;
  }
  return name;
}

function checkFamily(name: string, found: PromFamily): void {
  for (const sample of found.samples) {
    if (found.type === 'counter' && !(sample.value >= 0)) throw new Error(`${name}: counter below 0`);
    if (found.type === 'histogram' && sample.name.endsWith('_bucket') && !('le' in sample.labels))
      throw new Error(`${name}: bucket without le`);
  }
  if (found.type !== 'histogram') return;
  const series = new Map<string, PromSample[]>();
  for (const sample of found.samples.filter((s) => s.name === `${name}_bucket`)) {
    const { le: _le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), sample]);
  }
  for (const [key, buckets] of series) {
    const values = buckets.map((bucket) => bucket.value);
    if (values.some((value, index) => index > 0 && value < values[index - 1]!))
      throw new Error(`${name}${key}: buckets not cumulative`);
    const last = buckets.at(-1);
    const count = found.samples.find(
      (s) => s.name === `${name}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key,
    );
    if (last?.labels.le !== '+Inf' || count?.value !== last.value)
      throw new Error(`${name}${key}: no +Inf bucket equal to _count`);
  }
}
