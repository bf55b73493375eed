// Starts the misp-modules binary for the browser tests, on its own ports and a fresh
// database, and restarts it on demand (history must survive a restart).
const { spawn } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");

const root = path.resolve(__dirname, "..", "..");
const binary = process.env.MISP_MODULES_BIN || path.join(root, "target", "debug", "misp-modules");
const siteRoot = process.env.SITE_ROOT || path.join(root, "target", "site");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "misp-modules-e2e-"));
const apiPort = 16666;
const webPort = 17008;

const ADMIN_PASSWORD = "e2e-owner-password-1";
let child = null;

async function waitFor(url) {
  for (let i = 0; i < 300; i++) {
    try {
      const response = await fetch(url, { redirect: "manual" });
      if (response.status < 500) return;
    } catch (_) {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`server did not come up at ${url}`);
}

async function start() {
  child = spawn(
    binary,
    [
      "-l", "127.0.0.1", "-p", String(apiPort),
      "--web-listen", "127.0.0.1", "--web-port", String(webPort),
      "-c", path.join(root, "server", "tests", "fixtures", "custom"),
      "--site-root", siteRoot,
      "--database-url", `sqlite://${path.join(dataDir, "ui.db")}`,
    ],
    {
      env: { ...process.env, ADMIN_PASSWORD, RUST_LOG: process.env.SERVER_LOG || "warn" },
      stdio: ["ignore", "inherit", "inherit"],
    },
  );
  await waitFor(`http://127.0.0.1:${apiPort}/healthcheck`);
  await waitFor(`http://127.0.0.1:${webPort}/login`);
}

async function stop() {
  if (!child) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
  child = null;
}

async function restart() {
  await stop();
  await start();
}

module.exports = { start, stop, restart, ADMIN_PASSWORD, apiPort, webPort };
