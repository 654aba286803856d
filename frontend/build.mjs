// Copy the NHS.UK frontend's compiled CSS, JavaScript and assets into site/static/nhsuk/,
// where Django's static files (whitenoise in production) serve them. No CDN at run time.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "node_modules", "nhsuk-frontend", "dist", "nhsuk");
const target = join(root, "site", "static", "nhsuk");

rmSync(target, { recursive: true, force: true });
mkdirSync(target, { recursive: true });
for (const file of ["nhsuk-frontend.min.css", "nhsuk-frontend.min.js"]) {
  cpSync(join(source, file), join(target, file));
}
cpSync(join(source, "assets"), join(target, "assets"), { recursive: true });
writeFileSync(join(target, ".built"), new Date().toISOString() + "\n");
console.log(`NHS.UK frontend copied to ${target}`);
