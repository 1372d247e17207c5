import type { CiConfig } from '../../../protocol/scanReport';

/** CI configurations by path (relative to the root). */
export function detectCi(paths: Iterable<string>): CiConfig[] {
  const out: CiConfig[] = [];
  for (const path of paths) {
    if (/^\.github\/workflows\/[^/]+\.ya?ml$/.test(path)) out.push({ system: 'github-actions', path });
    else if (path === '.gitlab-ci.yml' || path === '.gitlab-ci.yaml') out.push({ system: 'gitlab-ci', path });
    else if (/^azure-pipelines\.ya?ml$/.test(path) || /^\.azure-pipelines\/.+\.ya?ml$/.test(path)) {
      out.push({ system: 'azure-pipelines', path });
    } else if (path === '.circleci/config.yml' || path === '.circleci/config.yaml')
      out.push({ system: 'circleci', path });
    else if (/(?:^|\/)Jenkinsfile$/.test(path) && !/(?:^|\/)node_modules\//.test(path)) {
      out.push({ system: 'jenkins', path });
    }
  }
  return out.sort((a, b) => a.system.localeCompare(b.system) || a.path.localeCompare(b.path));
}
