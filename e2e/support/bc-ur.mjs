// Loads `@gandlaf21/bc-ur` (the BC-UR library NUT-16 names, as cashu.me uses it) in plain Node.
//
// Its CommonJS build `require`s `cborg`, whose every 4.x release is an ES module with only an `import`
// export (cashu.me bundles it with Vite, where this does not matter). Node cannot `require` it, so this
// module imports `cborg` as ESM and answers the library's `require("cborg")` with that module.
import Module, { createRequire } from 'node:module';
import * as cborg from 'cborg';

const SHIM = '/@codec14-shim/cborg';
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'cborg' ? SHIM : resolve.call(this, request, ...rest);
};
const require = createRequire(import.meta.url);
const shim = new Module(SHIM);
shim.exports = cborg;
shim.loaded = true;
require.cache[SHIM] = shim;

const bcur = require('@gandlaf21/bc-ur');
Module._resolveFilename = resolve;

export const { UR, UREncoder, URDecoder } = bcur;
