/**
 * Terminal colours for what the tools print (the `npm start` summary and live view, the CLI): ANSI codes
 * on a terminal, plain text in pipes and logs or with NO_COLOR set (https://no-color.org).
 */

const useColor = (): boolean => process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number, text: string): string => (useColor() ? `\x1b[${code}m${text}\x1b[0m` : text);
export const red = (t: string): string => paint(31, t);
export const green = (t: string): string => paint(32, t);
export const yellow = (t: string): string => paint(33, t);
export const bold = (t: string): string => paint(1, t);
export const dim = (t: string): string => paint(2, t);
