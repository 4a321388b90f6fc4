/**
 * Escaping for user-controlled strings (messages, file names, image names, env values) in
 * the Markdown PR comment. Namespace and object names are DNS labels, but everything else
 * comes from the repository under review and must not be able to change the comment's
 * structure (close a table, a <details>, a code span), inject HTML, or ping people.
 */

/**
 * Characters with an inline meaning anywhere in a line (code, emphasis, links, tables,
 * strikethrough, GitHub math); a backslash makes each literal (CommonMark §2.4). `(`, `)`
 * and `!` need none once `[` and `]` are escaped.
 */
const INLINE_SPECIAL = /[\\`*_[\]|~$]/g;

/**
 * Text for prose and table cells: one line; inline Markdown characters backslash-escaped,
 * plus the few that start a block (`#`, `-`, `+`, `>`, `=`, `1.`) when they lead; `<`, `>`
 * and `&` as entities (no HTML gets through); and `@name` broken with a zero-width space so
 * a message cannot mention a user or team (GitHub links mentions after rendering, so a
 * backslash would not stop it).
 */
export function escapeMarkdown(text: string): string {
  return oneLine(text)
    .replace(INLINE_SPECIAL, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^([#+\-=])/, '\\$1')
    .replace(/^(\d+)([.)])/, '$1\\$2')
    .replace(/@(?=[A-Za-z0-9])/g, '@\u200b');
}

/** Text inside an HTML element (the `<summary>` line, where Markdown is not parsed). */
export function escapeHtml(text: string): string {
  return oneLine(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * A code span that shows `text` literally: the backtick fence is longer than any run of
 * backticks inside, padded with a space when the text starts or ends with a backtick
 * (CommonMark §6.1). In a table cell `|` must still be escaped (GFM splits cells first).
 */
export function codeSpan(text: string, options: { inTable?: boolean } = {}): string {
  let body = oneLine(text);
  if (options.inTable) body = body.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(body.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** Control characters (newlines included) as visible escapes, so one value stays one line. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
