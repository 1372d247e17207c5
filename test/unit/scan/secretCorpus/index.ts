import { seededRandom } from '../../../fixtures/seededRandom';
import { expand } from './generate';
import { FALSE_POSITIVES } from './falsePositives';
import { TRUE_POSITIVES } from './truePositives';

export interface CorpusCase {
  /** `tp` (a secret every scanner should report) or `fp` (a look-alike none should). */
  truth: 'tp' | 'fp';
  /** For a true positive, the rule expected to report it. */
  rule?: string;
  /** Path inside the corpus repository (each case a file of its own). */
  path: string;
  content: string;
  /** Generated values that must never appear in a report, a log or redacted output. */
  secrets: string[];
}

/** The corpus, expanded with a fixed seed (the same on every run). */
export function secretCorpus(seed = 14): CorpusCase[] {
  const random = seededRandom(seed);
  const cases: CorpusCase[] = [];
  TRUE_POSITIVES.forEach(([rule, file, template], i) => {
    const { text, secrets } = expand(template, random);
    cases.push({
      truth: 'tp',
      rule,
      path: `tp-${String(i).padStart(3, '0')}/${file}`,
      content: text,
      secrets,
    });
  });
  FALSE_POSITIVES.forEach(([file, template], i) => {
    const { text } = expand(template, random);
    cases.push({ truth: 'fp', path: `fp-${String(i).padStart(3, '0')}/${file}`, content: text, secrets: [] });
  });
  return cases;
}
