/** Id of the NAVI sidebar webview view (package.json `contributes.views.navi`). */
export const SIDEBAR_VIEW_ID = 'navi.sidebar';
