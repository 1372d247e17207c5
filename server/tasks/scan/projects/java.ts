import type { Project } from '../../../../protocol/scanReport';
import type { DetectedProject } from './index';
import {
  type Commands,
  type ProjectInput,
  command,
  dirsWith,
  has,
  isWithin,
  join,
  makeTargets,
  offer,
  offerMakeTargets,
} from './common';

const GRADLE_BUILD = ['build.gradle', 'build.gradle.kts'];
const GRADLE_SETTINGS = ['settings.gradle', 'settings.gradle.kts'];

/** Maven and Gradle. A multi-module build counts once: modules below its root are its `workspaces`. */
export async function detectJava(input: ProjectInput): Promise<DetectedProject[]> {
  const out: DetectedProject[] = [];

  // Maven: an aggregator (<modules>) owns the pom.xml files below it.
  const poms = dirsWith(input, ['pom.xml']);
  const pomText = new Map<string, string>();
  await Promise.all(poms.map(async (d) => pomText.set(d, (await input.read(join(d, 'pom.xml'))) ?? '')));
  const aggregators = poms.filter((d) => /<modules>/.test(pomText.get(d)!));
  for (const dir of poms) {
    if (aggregators.some((a) => a !== dir && isWithin(dir, a))) continue;
    const text = pomText.get(dir)!;
    const own = text
      .replace(/<parent>[\s\S]*?<\/parent>/, '')
      .replace(/<dependencies>[\s\S]*<\/dependencies>/, '');
    const name = /<artifactId>\s*([^<\s]+)\s*<\/artifactId>/.exec(own)?.[1];
    const mvn = has(input, dir, 'mvnw') ? './mvnw' : 'mvn';
    const commands: Commands = {};
    offerMakeTargets(commands, await makeTargets(input, dir));
    offer(commands, 'test', command(`${mvn} test`, 'pom.xml'));
    offer(commands, 'build', command(`${mvn} -DskipTests package`, 'pom.xml'));
    offer(commands, 'install', command(`${mvn} dependency:go-offline`, 'pom.xml', true));
    if (/spotless-maven-plugin/.test(text))
      offer(commands, 'format', command(`${mvn} spotless:check`, 'pom.xml#spotless'));
    if (/maven-checkstyle-plugin/.test(text))
      offer(commands, 'lint', command(`${mvn} checkstyle:check`, 'pom.xml#checkstyle'));
    if (/spring-boot-maven-plugin/.test(text))
      offer(commands, 'start', command(`${mvn} spring-boot:run`, 'pom.xml#spring-boot', true));
    const project: Project = {
      path: dir,
      ...(name ? { name } : {}),
      ecosystem: 'java',
      packageManager: 'maven',
      manifest: join(dir, 'pom.xml'),
      commands,
    };
    const members = poms.filter((d) => d !== dir && isWithin(d, dir));
    if (aggregators.includes(dir)) project.workspaces = members;
    out.push({ project });
  }

  // Gradle: the directory with settings.gradle is the build's root; build files below it are subprojects.
  const settings = dirsWith(input, GRADLE_SETTINGS);
  const builds = dirsWith(input, GRADLE_BUILD);
  const roots = [
    ...new Set([...settings, ...builds.filter((b) => !settings.some((s) => isWithin(b, s)))]),
  ].sort();
  for (const dir of roots) {
    if (roots.some((r) => r !== dir && isWithin(dir, r) && settings.includes(r))) continue;
    const buildFile = GRADLE_BUILD.find((f) => has(input, dir, f));
    const settingsFile = GRADLE_SETTINGS.find((f) => has(input, dir, f));
    const manifest = buildFile ?? settingsFile!;
    const buildText = buildFile ? ((await input.read(join(dir, buildFile))) ?? '') : '';
    const settingsText = settingsFile ? ((await input.read(join(dir, settingsFile))) ?? '') : '';
    const name = /rootProject\.name\s*=\s*["']([^"']+)["']/.exec(settingsText)?.[1];
    const gradle = has(input, dir, 'gradlew') ? './gradlew' : 'gradle';
    const commands: Commands = {};
    offerMakeTargets(commands, await makeTargets(input, dir));
    offer(commands, 'test', command(`${gradle} test`, manifest));
    offer(commands, 'build', command(`${gradle} assemble`, manifest));
    if (/spotless/.test(buildText))
      offer(commands, 'format', command(`${gradle} spotlessCheck`, `${manifest}#spotless`));
    if (/ktlint/.test(buildText))
      offer(commands, 'lint', command(`${gradle} ktlintCheck`, `${manifest}#ktlint`));
    if (/org\.springframework\.boot/.test(buildText))
      offer(commands, 'start', command(`${gradle} bootRun`, `${manifest}#spring-boot`, true));
    else if (/\bapplication\b/.test(buildText))
      offer(commands, 'start', command(`${gradle} run`, `${manifest}#application`, true));
    const project: Project = {
      path: dir,
      ...(name ? { name } : {}),
      ecosystem: 'java',
      packageManager: 'gradle',
      manifest: join(dir, manifest),
      commands,
    };
    const members = builds.filter((b) => b !== dir && isWithin(b, dir));
    if (settingsFile && members.length > 0) project.workspaces = members;
    out.push({ project });
  }
  return out;
}
