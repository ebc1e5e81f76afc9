// What a frontend writes against openapi-typescript's types of openapi/openapi.json through
// openapi-fetch: typed data, and every error typed as the problem+json the server sends.
// tests/test_spec_clients.py type-checks it (tsc --strict); it is never run.
import createClient from "openapi-fetch";
import type { components, paths } from "./api";

type Problem = components["schemas"]["Problem"];
const client = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

function report(problem: Problem): string {
  const where = (problem.errors ?? []).map((e) => e.loc.join(".")).join(", ");
  return `${problem.status} ${problem.title}: ${problem.detail.trim()} ${where}`;
}

export async function tour(token: string): Promise<string[]> {
  const out: string[] = [];
  const list = await client.GET("/articles", { params: { query: { tag: ["美国"], limit: 5 } } });
  if (list.error) out.push(report(list.error));
  else out.push(...list.data.items.map((item) => item.id), list.data.next ?? "last page");

  const one = await client.GET("/articles/{id}", { params: { path: { id: "gnews-2362915" } } });
  if (one.error) out.push(report(one.error));
  else out.push(one.data.title ?? "", one.data.sections.map((s) => s.heading ?? "").join());

  const tagged = await client.GET("/tags/{name}/articles", { params: { path: { name: "美国" } } });
  if (tagged.error) out.push(report(tagged.error));

  const hits = await client.GET("/search", { params: { query: { q: "郭文貴" } } });
  if (hits.error) out.push(report(hits.error));
  else out.push(String(hits.data.total), ...hits.data.items.map((h) => h.snippets[0]?.text ?? ""));

  const tags = await client.GET("/tags", { params: { query: { prefix: "美" } } });
  if (tags.error) out.push(report(tags.error));
  else out.push(...tags.data.items.map((t) => `${t.name} ${t.count}`));

  const feed = await client.GET("/feeds/articles.json", { params: { query: { tag: ["美国"] } } });
  if (feed.error) out.push(report(feed.error));
  else out.push(...feed.data.items.map((item) => `${item.title} ${item.external_url ?? ""}`));

  const atom = await client.GET("/feeds/search.atom", {
    params: { query: { q: "郭文貴" } },
    parseAs: "text",
  });
  if (atom.error) out.push(report(atom.error));

  const changes = await client.GET("/changes", { params: { query: { since: 0 } } });
  if (changes.error) out.push(report(changes.error));
  else out.push(String(changes.data.last_seq));

  const exported = await client.GET("/export", {
    params: { query: { include_text: false } },
    parseAs: "text",
  });
  if (exported.error) out.push(report(exported.error));

  const auth = { Authorization: `Bearer ${token}` };
  const gone = await client.DELETE("/articles/{id}", {
    params: { path: { id: "gnews-2362915" } },
    headers: auth,
  });
  if (gone.error) out.push(report(gone.error));
  return out;
}
