// Parses every .tf file under a folder with @cdktf/hcl2json (Terraform cannot be installed here) and prints
// { "<relative path>": <the file as JSON> }. argv: node_modules folder, infra folder.
const path = require("path");
const fs = require("fs");
const { parse } = require(path.join(process.argv[2], "@cdktf", "hcl2json"));

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? (e.name.startsWith(".") ? [] : files(path.join(dir, e.name))) : e.name.endsWith(".tf") ? [path.join(dir, e.name)] : []);
}

(async () => {
  const root = process.argv[3];
  const result = {};
  for (const file of files(root).sort()) {
    result[path.relative(root, file).split(path.sep).join("/")] = await parse(file, fs.readFileSync(file, "utf8"));
  }
  process.stdout.write(JSON.stringify(result));
})().catch((e) => { console.error(e); process.exit(1); });
