// The console's styles (one small sheet, inserted by main.ts; the page loads nothing else).
export const STYLE = `
:root { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1c1d; background: #f4f5f7; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 16px; padding: 8px 20px; background: #232f3e; color: #fff; position: sticky; top: 0; z-index: 1; }
header h1 { font-size: 16px; margin: 0; white-space: nowrap; }
nav { display: flex; gap: 4px; flex-wrap: wrap; flex: 1; }
nav a { color: #d5dbdb; text-decoration: none; padding: 6px 10px; border-radius: 4px; }
nav a.on, nav a:hover { background: #37475a; color: #fff; }
.live { font-size: 12px; color: #aab7b8; } .live.on { color: #7fdc8c; }
main { padding: 16px 20px; max-width: 1280px; }
.card { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 12px 16px; margin-bottom: 16px; }
h2 { font-size: 15px; margin: 0 0 6px; } h2 small { color: #687078; font-weight: normal; margin-left: 6px; }
.muted { color: #687078; } .small { font-size: 12px; } .bad { color: #c7291d; } .good { color: #1d8102; }
.error { color: #c7291d; background: #fdecea; padding: 8px; border-radius: 4px; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #eef0f2; vertical-align: top; }
th { font-size: 12px; color: #545b64; font-weight: 600; } .n { text-align: right; font-variant-numeric: tabular-nums; }
.chip { display: inline-block; background: #eef2f6; color: #37475a; border-radius: 10px; padding: 0 8px; font-size: 12px; margin-right: 4px; }
.activity { list-style: none; padding: 0; margin: 0; max-height: 360px; overflow: auto; font-size: 13px; }
.activity li { padding: 3px 0; border-bottom: 1px solid #f2f3f5; font-family: ui-monospace, Menlo, monospace; }
.activity time { color: #687078; }
button { font: inherit; padding: 4px 10px; border: 1px solid #aab7b8; background: #fff; border-radius: 4px; cursor: pointer; }
button:hover:not(:disabled) { background: #f2f3f3; } button:disabled { opacity: .5; cursor: default; }
button.danger { color: #c7291d; border-color: #e8a39d; } button.link { border: 0; background: none; color: #1264a3; padding: 0 4px; }
.uploads { display: grid; gap: 12px; }
.upload { display: flex; gap: 16px; margin: 0; content-visibility: auto; contain-intrinsic-size: auto 260px; }
.original { width: 240px; flex: none; } .original img { max-width: 240px; max-height: 180px; display: block; margin-bottom: 4px; border-radius: 4px; }
.original b { word-break: break-all; font-size: 13px; }
.variants { display: flex; gap: 12px; align-items: flex-start; flex-wrap: wrap; }
.variant { margin: 0; width: 200px; font-size: 12px; } .variant img { max-width: 200px; max-height: 200px; display: block; border-radius: 4px; background: #eee; }
.pending { width: 200px; height: 120px; background: #f2f3f5; display: grid; place-items: center; color: #aab7b8; border-radius: 4px; }
.upload.gone { opacity: .8; border-style: dashed; }
.rejected { background: #fdecea; color: #8a1c12; padding: 10px; border-radius: 4px; }
.pager { display: flex; gap: 8px; align-items: center; margin-top: 8px; }
.raw { background: #f6f8fa; padding: 8px; overflow: auto; max-height: 360px; font-size: 12px; }
code, .record { font-family: ui-monospace, Menlo, monospace; font-size: 12px; word-break: break-all; }
.partitions { columns: 3; } .crumbs a { margin-right: 2px; }
.query { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; margin-bottom: 8px; }
.query input { font: inherit; padding: 3px 6px; width: 170px; } textarea { width: 100%; font-family: ui-monospace, monospace; font-size: 12px; }
/* Slack, as its client shows a message */
.slack { background: #fff; border: 1px solid #e1e4e8; border-radius: 6px; padding: 8px 0; }
.s-message { display: flex; gap: 8px; padding: 8px 20px; font: 15px/1.46668 Slack-Lato, Lato, "Helvetica Neue", Helvetica, sans-serif; }
.s-message:hover { background: #f8f8f8; }
.s-avatar { width: 36px; height: 36px; border-radius: 4px; background: #d13212; color: #fff; display: grid; place-items: center; font-weight: 700; flex: none; }
.s-body { flex: 1; min-width: 0; } .s-meta { font-size: 15px; } .s-app { background: #e8e8e8; color: #616061; font-size: 10px; padding: 1px 3px; border-radius: 2px; font-weight: 700; }
.s-header { font-size: 18px; font-weight: 900; margin: 4px 0; }
.s-section { margin: 4px 0; } .s-text { white-space: pre-wrap; word-wrap: break-word; }
.s-fields { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; margin-top: 4px; } .s-field { white-space: pre-wrap; }
.s-context { color: #616061; font-size: 12px; margin: 4px 0; display: flex; gap: 8px; flex-wrap: wrap; }
.s-divider { border: 0; border-top: 1px solid #ddd; margin: 8px 0; }
.s-actions { display: flex; gap: 8px; margin: 6px 0; }
.s-button { display: inline-block; border: 1px solid #bbb; border-radius: 4px; padding: 2px 12px; font-weight: 700; font-size: 13px; color: #1d1c1d; text-decoration: none; }
.s-button.primary { background: #007a5a; color: #fff; border-color: #007a5a; } .s-button.danger { background: #e01e5a; color: #fff; border-color: #e01e5a; }
.s-attachment { border-left: 4px solid #ddd; padding: 2px 12px; margin: 6px 0; border-radius: 0 4px 4px 0; }
.s-code { background: #f8f8f8; border: 1px solid #ddd; border-radius: 3px; padding: 0 3px; color: #e01e5a; }
.s-pre { background: #f8f8f8; border: 1px solid #ddd; border-radius: 4px; padding: 8px; white-space: pre-wrap; font-size: 12px; }
.s-message a { color: #1264a3; }
.s-emoji { display: inline-block; width: .95em; height: .95em; border-radius: 50%; vertical-align: -0.1em; margin: 0 .1em; }
.overview { display: grid; grid-template-columns: minmax(0, 1fr) 380px; gap: 16px; align-items: start; }
.overview .side { position: sticky; top: 64px; }
.overview .activity { max-height: calc(100vh - 140px); }
td.n { white-space: nowrap; }
`;
