#!/usr/bin/env node
// docroute's command line. The code is TypeScript run by Node's own type stripping
// (Node ≥ 22.18; the project's npm scripts and npx use the Node 24 it ships with).
if (!process.features.typescript) {
  process.stderr.write(
    `docroute needs Node >= 22.18 (this is ${process.version}). Run it through the project: ` +
      '`npx docroute …` or `npm run …` use the Node 24 installed with its dependencies.\n',
  );
  process.exit(1);
}
await import('../src/cli/main.ts');
