#!/usr/bin/env node
// The `passerelle` command. The sources are TypeScript run by Node's own type stripping,
// which needs Node 22.18 or newer: `npm install` brings one (the `node` dev dependency).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`passerelle needs Node.js 22.18 or newer (this is ${process.version}); run it through npm (npm start, npx passerelle) to use the Node installed with it.\n`);
  process.exit(1);
}
await import('../server/main.ts');
