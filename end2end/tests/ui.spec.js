// The web UI as an analyst and an administrator use it, in a real browser.
const http = require("node:http");
const { test, expect } = require("@playwright/test");
const server = require("./server");

test.describe.configure({ mode: "serial" });

test.beforeAll(async () => {
  await server.start();
});

test.afterAll(async () => {
  await server.stop();
});

async function signIn(page, user = "admin", password = server.ADMIN_PASSWORD) {
  await page.goto("/login");
  await page.fill("#username", user);
  await page.fill("#password", password);
  await page.click("form.login button[type=submit]");
  await expect(page.locator(".who")).toHaveText(user);
}

/// Types until the hydrated page reacts: the detected-type table is filled in by the
/// wasm bundle only, so its rows prove hydration.
async function typeValues(page, text) {
  await expect(async () => {
    await page.fill("#values", "");
    await page.fill("#values", text);
    await expect(page.locator("table.detected tr")).toHaveCount(text.split("\n").length, { timeout: 1000 });
  }).toPass({ timeout: 30_000 });
}

let firstQuery = null;

test("a query on several values with several modules shows every result in three views", async ({ page }) => {
  await signIn(page);
  await typeValues(page, "www.example.be\nexample.com\n2");
  const rows = page.locator("table.detected tr");
  await expect(rows.nth(0).locator("select")).toHaveValue("hostname");
  await expect(rows.nth(1).locator("select")).toHaveValue("domain");
  await expect(rows.nth(2).locator("select")).toHaveValue("text");
  await page.fill("#module-search", "country");
  await expect(page.locator("#module-hygiene")).toBeHidden();
  await page.check("#module-countrycode");
  await page.fill("#module-search", "");
  await page.check("#module-sleeper");
  await page.click("button.primary");

  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  firstQuery = page.url();
  // The slow module (sleeps 2 s) does not hold back the fast one.
  await expect(page.locator(".progress")).toContainText("All 3 results are in.", { timeout: 30_000 });
  const belgium = page.locator("article.cell[data-module=countrycode]").first();
  await expect(belgium.locator(".view-objects")).toContainText("Belgium");
  await expect(page.locator("article.cell[data-module=sleeper]")).toContainText("slept");

  await belgium.locator(".view-json > summary").click();
  await expect(belgium.locator("pre.json")).toContainText('"Belgium"');
  await belgium.locator(".view-markdown > summary").click();
  await expect(belgium.locator(".markdown table")).toContainText("Belgium");
});

test("pivoting twice builds a tree that survives a restart", async ({ page }) => {
  await signIn(page);
  await page.goto(firstQuery);
  await expect(page.locator(".progress")).toContainText("All 3 results are in.");
  // Pivot 1: query a result value again with the same modules.
  await page
    .locator("article.cell[data-module=countrycode]")
    .first()
    .locator("form.pivot button")
    .first()
    .click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  await expect(page.locator("main")).toContainText("Pivot of");
  await expect(page.locator(".progress")).toContainText("results are in.");
  const child = page.url();
  // Pivot 2: from the child, choose the modules anew.
  await page.locator("a", { hasText: "New pivot from this query" }).click();
  await expect(page.locator("main")).toContainText("This query will be a pivot");
  await typeValues(page, "www.example.fr");
  await page.check("#module-countrycode");
  await page.click("button.primary");
  await expect(page.locator(".cell-done")).toContainText("France", { timeout: 30_000 });

  await server.restart();
  await signIn(page);
  await page.goto("/history");
  const tree = page.locator("ul.tree > li").first();
  await expect(tree.locator(":scope > a")).toContainText("www.example.be");
  await expect(tree.locator(":scope > ul > li > a").first()).toHaveAttribute("href", new URL(child).pathname);
  await expect(tree.locator(":scope > ul > li > ul > li > a")).toContainText("www.example.fr");
  await page.fill("#history-search", "example.fr");
  await page.click(".search button");
  await expect(page.locator("ul.tree > li")).toHaveCount(1);
});

test("an administrator's stored key never comes back to the browser", async ({ page }) => {
  const sentinel = "SENTINEL-e2e-7d41b0";
  const seen = [];
  page.on("response", async (response) => {
    try {
      seen.push(await response.text());
    } catch (_) {
      // redirects have no body
    }
  });
  await signIn(page);
  await page.goto("/admin");
  const form = page.locator("section.admin-module[data-module=config_echo] form.setting").filter({ hasText: "apikey" });
  await expect(form.locator(".setting-status")).toHaveText("not set");
  await form.locator("input[type=password]").fill(sentinel);
  await form.locator("button", { hasText: "Save" }).click();
  await expect(page.locator(".notice")).toContainText("apikey of config_echo was saved");
  const after = page.locator("section.admin-module[data-module=config_echo] form.setting").filter({ hasText: "apikey" });
  await expect(after.locator(".setting-status")).toHaveText("set");
  await expect(after.locator("input[type=password]")).toHaveValue("");
  await page.reload();
  await page.goto("/");
  expect(seen.length).toBeGreaterThan(3);
  for (const body of seen) {
    expect(body).not.toContain(sentinel);
  }
  expect(await page.content()).not.toContain(sentinel);
});

test("a module's error shows beside the other results, and runs again once fixed", async ({ page }) => {
  await signIn(page);
  await page.goto("/");
  await typeValues(page, "probe\nwww.example.be");
  // The query page says before running that the module lacks a key.
  await expect(page.locator("li", { has: page.locator("#module-needs_key") })).toContainText("Needs settings that are not set: apikey");
  await page.check("#module-needs_key");
  await page.check("#module-countrycode");
  await page.click("button.primary");
  await expect(page.locator(".progress")).toContainText("All 2 results are in.", { timeout: 30_000 });
  const failed = page.locator("article.cell[data-module=needs_key]");
  await expect(failed.locator(".error")).toHaveText("An API key is required.");
  await expect(page.locator("article.cell[data-module=countrycode]")).toContainText("Belgium");
  const job = page.url();

  await page.goto("/admin");
  const form = page.locator("section.admin-module[data-module=needs_key] form.setting").filter({ hasText: "apikey" });
  await form.locator("input[type=password]").fill("e2e-key-123");
  await form.locator("button", { hasText: "Save" }).click();
  await expect(page.locator(".notice")).toContainText("apikey of needs_key was saved");

  await page.goto(job);
  await page.click("form.retry button");
  await expect(page.locator("article.cell[data-module=needs_key]")).toContainText("authorised probe", { timeout: 30_000 });
  await expect(page.locator("form.retry")).toHaveCount(0);
});

test("a cross-site form post is refused", async ({ page }) => {
  await signIn(page);
  // An attacker's page on another origin posts to the admin endpoint.
  const attacker = http.createServer((req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<form id="f" method="post" action="http://localhost:${server.webPort}/action/admin/users">
      <input name="username" value="mallory"><input name="password" value="mallory-password-1">
      </form><script>document.getElementById("f").submit()</script>`);
  });
  await new Promise((resolve) => attacker.listen(0, "127.0.0.1", resolve));
  const port = attacker.address().port;
  const responsePromise = page.waitForResponse((r) => r.url().endsWith("/action/admin/users"));
  await page.goto(`http://127.0.0.1:${port}/`);
  const response = await responsePromise;
  expect(response.status()).toBe(403);
  attacker.close();
  await page.goto("/admin");
  await expect(page.locator("table.users")).not.toContainText("mallory");
});
