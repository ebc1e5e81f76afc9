// The reading page: lists, filters, searches and reads articles through the public API.
// Article data is only ever set as text (textContent, text nodes), never parsed as HTML.
// The URL holds the whole view (?q, ?tag, ?collection, ?article), so reload, links and the
// back button work through the history API.

const TEXT = {
  zh: {
    title: "文章档案", search: "搜索", placeholder: "搜索文章，例如 郭文贵",
    collection: "合集", allCollections: "全部合集", more: "加载更多", tags: "标签",
    back: "← 返回列表", links: "链接", source: "原文", json: "JSON",
    apiDocs: "API 文档", loading: "加载中…", none: "没有找到文章。", untitled: "（无标题）",
    results: (n) => `共 ${n} 条结果`, tag: "标签", clear: "清除", error: "出错了：",
    switchTo: "English",
    collections: {
      gnews: "GNews 新闻", transcript: "视频文字稿", gettr: "GETTR 帖子",
      "court-case": "庭审记录", article: "文章", page: "页面",
    },
  },
  en: {
    title: "Article archive", search: "Search", placeholder: "Search articles, e.g. 郭文贵",
    collection: "Collection", allCollections: "All collections", more: "Load more",
    tags: "Tags", back: "← Back to the list", links: "Links", source: "Original",
    json: "JSON", apiDocs: "API docs", loading: "Loading…", none: "No articles found.",
    untitled: "(untitled)", results: (n) => `${n} result${n === 1 ? "" : "s"}`, tag: "Tag",
    clear: "Clear", error: "Something went wrong: ", switchTo: "中文",
    collections: {
      gnews: "GNews news", transcript: "Video transcripts", gettr: "GETTR posts",
      "court-case": "Court transcripts", article: "Articles", page: "Pages",
    },
  },
};
const PAGE_SIZE = 20;
const TOP_TAGS = 24;
const $ = (id) => document.getElementById(id);

let lang = chooseLanguage();
let shown = 0; // bumped on every view, so a late answer for an old view is dropped

function chooseLanguage() {
  const saved = stored("reader-lang");
  if (saved in TEXT) return saved;
  return (navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
}

// localStorage throws where storage is disabled; the choice then lasts for the visit only.
function stored(key, value) {
  try {
    if (value === undefined) return localStorage.getItem(key);
    localStorage.setItem(key, value);
  } catch {
    return null;
  }
  return value;
}

function t(key) {
  return TEXT[lang][key];
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

// A link inside the page: a real href (open in a new tab works), followed with pushState.
function pageLink(params, text, className) {
  const a = el("a", text, { href: pageUrl(params), "data-nav": "" });
  if (className) a.className = className;
  return a;
}

function pageUrl(params) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v) query.append(name, v);
  }
  const s = query.toString();
  return s ? `/?${s}` : "/";
}

// Only http(s) links of the archive become clickable: never javascript: or data: URLs.
function externalLink(url, text) {
  const a = el("a", text || url);
  if (/^https?:\/\//i.test(url || "")) a.href = url;
  a.rel = "noopener noreferrer nofollow";
  return a;
}

function view() {
  const p = new URLSearchParams(location.search);
  return {
    q: (p.get("q") || "").trim(),
    tags: p.getAll("tag").filter(Boolean),
    collection: p.get("collection") || "",
    article: p.get("article") || "",
  };
}

async function api(path, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of [].concat(value)) if (v !== "" && v !== undefined) query.append(name, v);
  }
  const s = query.toString();
  const response = await fetch(s ? `${path}?${s}` : path, { headers: { Accept: "application/json" } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error((body && (body.detail || body.title)) || response.statusText);
  return body;
}

function formatDate(iso) {
  if (!iso) return "";
  const locale = lang === "zh" ? "zh-CN" : "en-GB";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeZone: "UTC" }).format(new Date(iso));
}

function collectionName(name) {
  return t("collections")[name] || name;
}

// Highlights are [start, end) offsets in characters (code points), not UTF-16 units.
function markedText(node, text, highlights) {
  const chars = Array.from(text);
  let at = 0;
  const spans = [...highlights].sort((a, b) => a[0] - b[0]);
  for (const [start, end] of spans) {
    const from = Math.max(start, at);
    if (end <= from) continue;
    node.append(chars.slice(at, from).join(""));
    node.append(el("mark", chars.slice(from, end).join("")));
    at = end;
  }
  node.append(chars.slice(at).join(""));
  return node;
}

function metaLine(item) {
  const parts = [formatDate(item.published_at), collectionName(item.collection)];
  if (item.authors && item.authors.length) parts.push(item.authors.join("、"));
  return parts.filter(Boolean).join(" · ");
}

function tagList(tags, v) {
  const list = el("ul", null, { class: "tags" });
  for (const tag of tags || []) {
    const link = pageLink({ tag: tag.name, collection: v.collection }, tag.name, `tag tag-${tag.kind}`);
    if (typeof tag.count === "number") link.append(el("span", ` ${tag.count}`, { class: "count" }));
    list.append(el("li"));
    list.lastChild.append(link);
  }
  return list;
}

function card(item, v) {
  const li = el("li", null, { class: "card", "data-id": item.id });
  const heading = el("h2");
  heading.append(pageLink({ article: item.id }, item.title || t("untitled"), "title"));
  li.append(heading, el("p", metaLine(item), { class: "meta" }));
  if (item.snippets && item.snippets.length) {
    for (const snippet of item.snippets) {
      li.append(markedText(el("p", null, { class: "snippet" }), snippet.text, snippet.highlights));
    }
  } else if (item.summary) {
    li.append(el("p", item.summary, { class: "summary" }));
  }
  if (item.tags && item.tags.length) li.append(tagList(item.tags.slice(0, 8), v));
  return li;
}

function showFilters(v) {
  const box = $("filters");
  box.replaceChildren();
  for (const tag of v.tags) {
    const chip = el("span", `${t("tag")}: ${tag}`, { class: "filter" });
    const rest = v.tags.filter((other) => other !== tag);
    chip.append(pageLink({ q: v.q, tag: rest, collection: v.collection }, "×", "clear"));
    chip.lastChild.setAttribute("aria-label", `${t("clear")} ${tag}`);
    box.append(chip);
  }
}

async function showList(v, token) {
  $("reading").hidden = true;
  $("listing").hidden = false;
  $("results").replaceChildren();
  $("more").hidden = true;
  $("status").textContent = t("loading");
  showFilters(v);
  document.title = v.q ? `${v.q} · ${t("title")}` : t("title");
  const filters = { tag: v.tags, collection: v.collection, limit: PAGE_SIZE };
  const path = v.q ? "/search" : "/articles";
  const params = v.q ? { ...filters, q: v.q } : filters;
  await loadPage(path, params, v, token);
}

async function loadPage(path, params, v, token) {
  let page;
  try {
    page = await api(path, params);
  } catch (error) {
    if (token === shown) $("status").textContent = t("error") + error.message;
    return;
  }
  if (token !== shown) return;
  for (const item of page.items) $("results").append(card(item, v));
  const count = $("results").children.length;
  const total = typeof page.total === "number" ? t("results")(page.total) : "";
  $("status").textContent = count ? total : t("none");
  const more = $("more");
  more.hidden = !page.next;
  more.onclick = () => {
    more.hidden = true;
    loadPage(path, { ...params, cursor: page.next }, v, token);
  };
  if (!params.cursor) settle();
}

async function showTags(token) {
  let page;
  try {
    page = await api("/tags", { limit: TOP_TAGS });
  } catch {
    return; // the tag cloud is a convenience; the list itself reports errors
  }
  if (token !== shown) return;
  $("tag-list").replaceChildren(tagList(page.items, view()));
}

async function showArticle(v, token) {
  $("listing").hidden = true;
  const reading = $("reading");
  reading.hidden = false;
  for (const id of ["article-title", "article-meta", "article-body"]) $(id).replaceChildren();
  $("article-tags").replaceChildren();
  $("article-links").hidden = $("article-source").hidden = true; // the last article's
  $("article-meta").textContent = t("loading");
  let article;
  try {
    article = await api(`/articles/${encodeURIComponent(v.article)}`);
  } catch (error) {
    if (token === shown) $("article-meta").textContent = t("error") + error.message;
    return;
  }
  if (token !== shown) return;
  const title = article.title || t("untitled");
  document.title = `${title} · ${t("title")}`;
  $("article-title").textContent = title;
  $("article-meta").textContent = metaLine(article);
  $("article-tags").replaceWith(Object.assign(tagList(article.tags, {}), { id: "article-tags" }));
  const body = $("article-body");
  for (const section of article.sections) {
    if (section.heading) body.append(el("h2", section.heading));
    for (const line of section.text.split("\n")) if (line.trim()) body.append(el("p", line));
  }
  // Every link of the article, once: for a post that is only a video, they are the content.
  const links = [...new Map(article.links.map((link) => [link.url, link])).values()];
  const box = $("article-links");
  box.hidden = !links.length;
  const items = links.map((link) => {
    const li = el("li");
    li.append(externalLink(link.url, link.text));
    return li;
  });
  box.querySelector("ul").replaceChildren(...items);
  const source = $("article-source");
  source.hidden = !(article.source && /^https?:\/\//i.test(article.source.url || ""));
  if (!source.hidden) source.href = article.source.url;
  $("article-json").href = `/articles/${encodeURIComponent(article.id)}`;
  reading.focus({ preventScroll: true });
  settle();
}

// A view has been drawn: scroll to where the reader left it (0 for a new view), and mark
// the moment (bench/reader.py reads it).
function settle() {
  window.scrollTo(0, (history.state && history.state.scroll) || 0);
  performance.mark("reader:shown");
}

function translate() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-t]")) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll("[data-t-placeholder]")) {
    node.placeholder = t(node.dataset.tPlaceholder);
  }
  for (const node of document.querySelectorAll("[data-t-label]")) {
    node.setAttribute("aria-label", t(node.dataset.tLabel));
  }
  for (const option of $("collection").options) {
    if (option.value) option.textContent = collectionName(option.value);
  }
  $("lang").textContent = t("switchTo");
  $("lang").lang = lang === "zh" ? "en" : "zh";
}

function render() {
  const v = view();
  const token = ++shown;
  $("q").value = v.q;
  $("collection").value = v.collection;
  if (v.article) {
    showArticle(v, token);
  } else {
    showList(v, token);
    showTags(token);
  }
}

function go(url, state = {}) {
  // Kept with the view we leave, so that going back returns to the same place in it.
  history.replaceState({ ...history.state, scroll: window.scrollY }, "");
  history.pushState(state, "", url);
  render();
}

document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  // An article opened from a list goes back through the history, as the browser's button does.
  if (link.id === "back" && history.state && history.state.fromList) history.back();
  else go(link.getAttribute("href"), { fromList: !view().article });
});

$("search").addEventListener("submit", (event) => {
  event.preventDefault();
  const v = view();
  go(pageUrl({ q: $("q").value.trim(), tag: v.article ? [] : v.tags, collection: $("collection").value }));
});

$("collection").addEventListener("change", () => {
  const v = view();
  go(pageUrl({ q: v.q, tag: v.tags, collection: $("collection").value }));
});

$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  stored("reader-lang", lang);
  translate();
  render();
});

history.scrollRestoration = "manual"; // the page restores it once the view is drawn
window.addEventListener("popstate", render);
translate();
render();
