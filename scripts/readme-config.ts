/** npm run docs:config — rewrites the README's configuration table from src/config/schema.ts. */
import { readFileSync, writeFileSync } from 'node:fs';
import { configTableMarkdown } from '../src/config/schema.ts';

const path = new URL('../README.md', import.meta.url);
const readme = readFileSync(path, 'utf8');
const updated = readme.replace(
  /(<!-- config-table:start -->\n)[\s\S]*?(\n<!-- config-table:end -->)/,
  (_m, start: string, end: string) => `${start}${configTableMarkdown()}${end}`,
);
writeFileSync(path, updated);
console.log(updated === readme ? 'README config table already up to date' : 'README config table rewritten');
