// Copy the front-end packages' compiled files into site/static/, where Django's static files
// (whitenoise in production) serve them. No CDN at run time.
// - site/static/nhsuk/: the NHS.UK frontend's CSS, JavaScript and assets (every page).
// - site/static/leaflet/: Leaflet's CSS, JavaScript and marker images (only pages with a map).
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const modules = join(root, "node_modules");
const stamp = new Date().toISOString() + "\n";

function fresh(target) {
  rmSync(target, { recursive: true, force: true });
  mkdirSync(target, { recursive: true });
  return target;
}

const nhsukSource = join(modules, "nhsuk-frontend", "dist", "nhsuk");
const nhsuk = fresh(join(root, "site", "static", "nhsuk"));
// With their source maps: the files name them, and Django's manifest storage (collectstatic in
// production) refuses a sourceMappingURL whose file is missing.
for (const file of ["nhsuk-frontend.min.css", "nhsuk-frontend.min.css.map", "nhsuk-frontend.min.js", "nhsuk-frontend.min.js.map"]) {
  cpSync(join(nhsukSource, file), join(nhsuk, file));
}
cpSync(join(nhsukSource, "assets"), join(nhsuk, "assets"), { recursive: true });
writeFileSync(join(nhsuk, ".built"), stamp);
console.log(`NHS.UK frontend copied to ${nhsuk}`);

const leafletSource = join(modules, "leaflet", "dist");
const leaflet = fresh(join(root, "site", "static", "leaflet"));
// The source map goes too, for the same reason.
for (const file of ["leaflet.css", "leaflet.js", "leaflet.js.map"]) {
  cpSync(join(leafletSource, file), join(leaflet, file));
}
cpSync(join(leafletSource, "images"), join(leaflet, "images"), { recursive: true });
writeFileSync(join(leaflet, ".built"), stamp);
console.log(`Leaflet copied to ${leaflet}`);
