import type { Project } from '../../../../protocol/scanReport';
import type { DetectedProject } from './index';
import {
  type Commands,
  type ProjectInput,
  arrayValue,
  command,
  dirsWith,
  has,
  isWithin,
  join,
  makeTargets,
  offer,
  offerMakeTargets,
  sections,
  selfAndAncestors,
  stringValue,
} from './common';

type Pm = 'pip' | 'poetry' | 'uv';

const isRequirements = (name: string) => /^requirements([-_.][\w.-]*)?\.txt$/i.test(name);

/** Words of a dependency list that name a package (`pytest>=8`, `"ruff==0.5"` → pytest, ruff). */
function packageNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text
    .replace(/#.*$/gm, '')
    .matchAll(/(?:^|["'\s,[])([A-Za-z0-9][A-Za-z0-9._-]*)(?=\s*(?:[<>=!~;[\],"'@]|$))/gm)) {
    names.add(match[1]!.toLowerCase().replace(/_/g, '-'));
  }
  return names;
}

export async function detectPython(input: ProjectInput): Promise<DetectedProject[]> {
  const strong = dirsWith(input, ['pyproject.toml', 'setup.py', 'Pipfile']);
  // A folder with only requirements files is a project unless it sits inside one (docs/requirements.txt).
  const weak = dirsWith(input, isRequirements).filter(
    // requirements/ holding dev.txt, test.txt…: the parent folder's, not a project of its own.
    (dir) =>
      !strong.some((s) => isWithin(dir, s)) && dir !== 'requirements' && !dir.endsWith('/requirements'),
  );
  const dirs = [...new Set([...strong, ...weak])].sort();
  const out: DetectedProject[] = [];
  for (const dir of dirs) {
    const files = { has: (name: string) => has(input, dir, name) };
    const read = (name: string) =>
      files.has(name) ? input.read(join(dir, name)) : Promise.resolve(undefined);
    const pyproject = sections((await read('pyproject.toml')) ?? '');
    const setupCfg = sections((await read('setup.cfg')) ?? '');
    const toxIni = sections((await read('tox.ini')) ?? '');
    const requirementFiles = input.manifests
      .filter((m) => m.dir === dir && isRequirements(m.name))
      .map((m) => m.name)
      .sort();
    const requirementTexts = await Promise.all(requirementFiles.map((f) => read(f)));
    const section = (name: string) => pyproject.get(name);
    const sectionNames = [...pyproject.keys()];

    // Every place a project lists dependencies, to tell which tools it uses and say where.
    const depSources: { source: string; names: Set<string> }[] = [
      ...requirementFiles.map((f, i) => ({ source: f, names: packageNames(requirementTexts[i] ?? '') })),
      {
        source: 'pyproject.toml#project.dependencies',
        names: packageNames(arrayValue(section('project'), 'dependencies').join('\n')),
      },
      ...[
        'project.optional-dependencies',
        'dependency-groups',
        'tool.uv',
        ...sectionNames.filter((n) => /^tool\.poetry(\.group\.[^.]+)?\.(dev-)?dependencies$/.test(n)),
      ].map((n) => ({ source: `pyproject.toml#${n}`, names: packageNames(section(n) ?? '') })),
    ];
    const deps = new Set(depSources.flatMap((d) => [...d.names]));
    const depEvidence = (name: string) =>
      depSources.find((d) => d.names.has(name))?.source ?? 'pyproject.toml';

    let lockDir: string | undefined;
    let pm: Pm = 'pip';
    for (const d of selfAndAncestors(dir)) {
      if (has(input, d, 'uv.lock')) [pm, lockDir] = ['uv', d];
      else if (has(input, d, 'poetry.lock')) [pm, lockDir] = ['poetry', d];
      if (lockDir !== undefined) break;
    }
    const poetryProject = section('tool.poetry') !== undefined;
    const uvProject = section('tool.uv') !== undefined;
    if (lockDir === undefined) pm = poetryProject ? 'poetry' : uvProject ? 'uv' : 'pip';
    const run = (tool: string) =>
      pm === 'poetry' ? `poetry run ${tool}` : pm === 'uv' ? `uv run ${tool}` : tool;

    const commands: Commands = {};
    offerMakeTargets(commands, await makeTargets(input, dir));

    // install
    if (pm === 'poetry')
      offer(
        commands,
        'install',
        command('poetry install', lockDir ? 'poetry.lock' : 'pyproject.toml#tool.poetry'),
      );
    else if (pm === 'uv')
      offer(
        commands,
        'install',
        command(lockDir ? 'uv sync --locked' : 'uv sync', lockDir ? 'uv.lock' : 'pyproject.toml#tool.uv'),
      );
    else if (requirementFiles.length > 0) {
      const list = requirementFiles.filter((f) => !/constraints/i.test(f));
      offer(
        commands,
        'install',
        command(`pip install ${list.map((f) => `-r ${f}`).join(' ')}`, list[0] ?? requirementFiles[0]!),
      );
    } else if (files.has('pyproject.toml') || files.has('setup.py')) {
      offer(
        commands,
        'install',
        command('pip install -e .', files.has('pyproject.toml') ? 'pyproject.toml' : 'setup.py', true),
      );
    }

    // test: pytest configuration first, then a test runner named by the project, then by convention.
    const pytestEvidence =
      (section('tool.pytest.ini_options') !== undefined && 'pyproject.toml#tool.pytest.ini_options') ||
      (sectionNames.some((n) => n.startsWith('tool.pytest')) && 'pyproject.toml#tool.pytest') ||
      (files.has('pytest.ini') && 'pytest.ini') ||
      (setupCfg.has('tool:pytest') && 'setup.cfg#tool:pytest') ||
      (toxIni.has('pytest') && 'tox.ini#pytest') ||
      (files.has('conftest.py') && 'conftest.py') ||
      undefined;
    if (pytestEvidence) offer(commands, 'test', command(run('pytest'), pytestEvidence));
    if (toxIni.has('tox') || [...toxIni.keys()].some((n) => n.startsWith('testenv')))
      offer(commands, 'test', command('tox', 'tox.ini'));
    if (deps.has('pytest')) offer(commands, 'test', command(run('pytest'), depEvidence('pytest'), true));

    // lint
    const ruffConfig =
      (sectionNames.some((n) => n === 'tool.ruff' || n.startsWith('tool.ruff.')) &&
        'pyproject.toml#tool.ruff') ||
      (files.has('ruff.toml') && 'ruff.toml') ||
      (files.has('.ruff.toml') && '.ruff.toml') ||
      undefined;
    if (ruffConfig) offer(commands, 'lint', command(run('ruff check .'), ruffConfig, true));
    const flake8Config =
      (files.has('.flake8') && '.flake8') ||
      (setupCfg.has('flake8') && 'setup.cfg#flake8') ||
      (toxIni.has('flake8') && 'tox.ini#flake8') ||
      undefined;
    if (flake8Config) offer(commands, 'lint', command(run('flake8'), flake8Config, true));
    if (deps.has('ruff')) offer(commands, 'lint', command(run('ruff check .'), depEvidence('ruff'), true));
    if (deps.has('flake8')) offer(commands, 'lint', command(run('flake8'), depEvidence('flake8'), true));

    // typecheck
    const mypyConfig =
      (section('tool.mypy') !== undefined && 'pyproject.toml#tool.mypy') ||
      (files.has('mypy.ini') && 'mypy.ini') ||
      (files.has('.mypy.ini') && '.mypy.ini') ||
      (setupCfg.has('mypy') && 'setup.cfg#mypy') ||
      undefined;
    if (mypyConfig) offer(commands, 'typecheck', command(run('mypy .'), mypyConfig, true));
    const pyrightConfig =
      (section('tool.pyright') !== undefined && 'pyproject.toml#tool.pyright') ||
      (files.has('pyrightconfig.json') && 'pyrightconfig.json') ||
      undefined;
    if (pyrightConfig) offer(commands, 'typecheck', command(run('pyright'), pyrightConfig, true));
    if (deps.has('mypy')) offer(commands, 'typecheck', command(run('mypy .'), depEvidence('mypy'), true));
    if (deps.has('pyright'))
      offer(commands, 'typecheck', command(run('pyright'), depEvidence('pyright'), true));

    // format
    if (section('tool.black') !== undefined)
      offer(commands, 'format', command(run('black --check .'), 'pyproject.toml#tool.black', true));
    if (section('tool.ruff.format') !== undefined) {
      offer(
        commands,
        'format',
        command(run('ruff format --check .'), 'pyproject.toml#tool.ruff.format', true),
      );
    }
    if (deps.has('black'))
      offer(commands, 'format', command(run('black --check .'), depEvidence('black'), true));
    if (ruffConfig || deps.has('ruff'))
      offer(
        commands,
        'format',
        command(run('ruff format --check .'), ruffConfig || depEvidence('ruff'), true),
      );

    // build, start
    if (section('build-system') !== undefined || poetryProject) {
      const tool = pm === 'poetry' ? 'poetry build' : pm === 'uv' ? 'uv build' : 'python -m build';
      offer(
        commands,
        'build',
        command(tool, poetryProject ? 'pyproject.toml#tool.poetry' : 'pyproject.toml#build-system', true),
      );
    }
    if (files.has('manage.py'))
      offer(commands, 'start', command(run('python manage.py runserver'), 'manage.py', true));
    for (const entry of ['app.py', 'main.py', 'server.py']) {
      if (files.has(entry)) offer(commands, 'start', command(run(`python ${entry}`), entry, true));
    }

    const name =
      stringValue(section('project'), 'name') ??
      stringValue(section('tool.poetry'), 'name') ??
      /\bname\s*=\s*["']([^"']+)["']/.exec((await read('setup.py')) ?? '')?.[1];
    const manifest = ['pyproject.toml', 'setup.py', 'Pipfile', ...requirementFiles].find((f) =>
      files.has(f),
    )!;
    const project: Project = {
      path: dir,
      ...(name ? { name } : {}),
      ecosystem: 'python',
      packageManager: pm,
      manifest: join(dir, manifest),
      commands,
    };
    const missingLockfile =
      lockDir === undefined && poetryProject
        ? 'poetry.lock'
        : lockDir === undefined && uvProject
          ? 'uv.lock'
          : undefined;
    out.push({ project, missingLockfile });
  }
  return out;
}
