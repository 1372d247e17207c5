/** NAVI's version, injected by esbuild from package.json; `dev` when running from sources. */
export const NAVI_VERSION: string = process.env.NAVI_VERSION || 'dev';
