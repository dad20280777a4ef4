// The browser view of Boltwatch's local Slack. Plain JS, no build step, no external assets.
// Every piece of message text reaches the DOM through createTextNode or textContent, never innerHTML:
// a log line in a message can never become markup.
"use strict";

(() => {
  const POLL_MS = 500;
  // Shortcode → emoji, the same table the terminal uses (sandbox/slack/emoji.py), fetched before the first render.
  let EMOJI = {};
  // Status marks drawn with CSS, so they show even where no emoji font is installed (headless CI).
  const DOTS = {
    red_circle: "red", large_orange_circle: "orange", large_blue_circle: "blue", green_circle: "green",
    white_circle: "white", large_green_circle: "green", large_yellow_circle: "yellow",
  };
  const view = {
    version: null, channel: null, tab: "messages", data: null, openThreads: new Set(), modalKey: null,
  };
  const $ = (id) => document.getElementById(id);

  // --- DOM helpers -------------------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function unescapeSlack(text) {
    return String(text).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  function emoji(name) {
    if (DOTS[name]) return el("span", { class: "dot dot-" + DOTS[name], title: `:${name}:` });
    return document.createTextNode(EMOJI[name] || `:${name}:`);
  }

  function textNode(raw) {
    const text = unescapeSlack(raw);
    const out = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(/:([a-z0-9_+-]+):/g)) {
      if (!DOTS[match[1]] && !EMOJI[match[1]]) continue;
      out.append(document.createTextNode(text.slice(last, match.index)), emoji(match[1]));
      last = match.index + match[0].length;
    }
    out.append(document.createTextNode(text.slice(last)));
    return out;
  }

  function safeUrl(raw) {
    try {
      const url = new URL(unescapeSlack(raw));
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (_error) {
      return null;
    }
  }

  function link(href, label) {
    return el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow" }, label);
  }

  // --- mrkdwn ------------------------------------------------------------------------------------------

  // Slack's emphasis needs word boundaries: `*a*` is bold, `x*y*z` and `&lt;*&gt;` are not.
  const OPEN = "(?<=^|[\\s(\\[\"'])";
  const CLOSE = "(?=$|[\\s.,;:!?)\\]\"'])";
  const INLINE = new RegExp(
    [
      "`([^`\\n]+)`",
      "<([^<>\\n]+)>",
      `${OPEN}\\*(?!\\s)([^*\\n]+?)(?<!\\s)\\*${CLOSE}`,
      `${OPEN}_(?!\\s)([^_\\n]+?)(?<!\\s)_${CLOSE}`,
      `${OPEN}~(?!\\s)([^~\\n]+?)(?<!\\s)~${CLOSE}`,
    ].join("|"),
    "g",
  );

  function angle(token) {
    const [target, label] = splitOnce(token, "|");
    if (target.startsWith("@")) {
      const name = (view.data && view.data.users[target.slice(1)]) || label || target.slice(1);
      return el("span", { class: "mention" }, "@" + name);
    }
    if (target.startsWith("#")) return el("span", { class: "mention" }, "#" + (label || target.slice(1)));
    if (target.startsWith("!date^")) return el("span", { class: "date" }, textNode(label || target));
    if (target === "!here" || target === "!channel" || target === "!everyone") {
      return el("span", { class: "mention" }, "@" + target.slice(1));
    }
    const href = safeUrl(target);
    if (href) return link(href, textNode(label || target));
    return textNode("<" + token + ">");
  }

  function splitOnce(text, separator) {
    const at = text.indexOf(separator);
    return at < 0 ? [text, null] : [text.slice(0, at), text.slice(at + 1)];
  }

  function inline(text) {
    const out = document.createDocumentFragment();
    let last = 0;
    for (const match of text.matchAll(INLINE)) {
      if (match.index > last) out.append(textNode(text.slice(last, match.index)));
      const [, code, token, bold, italic, strike] = match;
      if (code !== undefined) out.append(el("code", {}, textNode(code)));
      else if (token !== undefined) out.append(angle(token));
      else if (bold !== undefined) out.append(el("b", {}, inline(bold)));
      else if (italic !== undefined) out.append(el("i", {}, inline(italic)));
      else out.append(el("s", {}, inline(strike)));
      last = match.index + match[0].length;
    }
    if (last < text.length) out.append(textNode(text.slice(last)));
    return out;
  }

  function mrkdwn(text) {
    const out = el("div", { class: "mrkdwn" });
    String(text || "").split("```").forEach((part, index) => {
      if (index % 2 === 1) {
        out.append(el("pre", { class: "code-block" }, textNode(part.replace(/^\n/, ""))));
        return;
      }
      part.split("\n").forEach((line, lineIndex) => {
        if (lineIndex > 0) out.append(el("br"));
        if (line.startsWith("&gt; ")) out.append(el("span", { class: "quote" }, inline(line.slice(5))));
        else out.append(inline(line));
      });
    });
    return out;
  }

  function textObject(obj) {
    if (!obj) return document.createTextNode("");
    return obj.type === "mrkdwn" ? mrkdwn(obj.text) : el("span", { class: "plain" }, textNode(obj.text || ""));
  }

  // --- Block Kit ---------------------------------------------------------------------------------------

  function renderBlocks(blocks, where) {
    return el("div", { class: "blocks" }, (blocks || []).map((block) => renderBlock(block, where)));
  }

  function renderBlock(block, where) {
    switch (block.type) {
      case "header":
        return el("div", { class: "block header" }, textNode((block.text || {}).text || ""));
      case "section":
        return el(
          "div",
          { class: "block section" },
          el(
            "div",
            { class: "section-main" },
            block.text ? textObject(block.text) : null,
            block.fields
              ? el("div", { class: "fields" }, block.fields.map((f) => el("div", { class: "field" }, textObject(f))))
              : null,
          ),
          block.accessory ? el("div", { class: "accessory" }, renderElement(block.accessory, block, where)) : null,
        );
      case "context":
        return el(
          "div",
          { class: "block context" },
          (block.elements || []).map((e) => (e.type === "image" ? image(e, "context-image") : textObject(e))),
        );
      case "divider":
        return el("hr", { class: "block divider" });
      case "actions":
        return el("div", { class: "block actions" }, (block.elements || []).map((e) => renderElement(e, block, where)));
      case "image":
        return el("figure", { class: "block image" }, block.title ? el("figcaption", {}, textNode(block.title.text)) : null,
          image(block, "block-image"));
      case "rich_text":
        return el("div", { class: "block rich-text" }, (block.elements || []).map(richElement));
      case "input":
        return inputBlock(block);
      default:
        return el("div", { class: "block unsupported" }, `[${block.type} block]`);
    }
  }

  function image(obj, cls) {
    const uploaded = obj.slack_file && obj.slack_file.id ? "/sandbox/images/" + encodeURIComponent(obj.slack_file.id) : null;
    const src = uploaded || (obj.image_url && obj.image_url.startsWith("/") ? obj.image_url : null);
    if (src) return el("img", { class: cls, src, alt: obj.alt_text || "" });
    // External images are not fetched: the sandbox loads nothing from outside 127.0.0.1.
    return el("span", { class: cls + " image-placeholder", title: obj.image_url || "" }, "[image: " + (obj.alt_text || "no description") + "]");
  }

  function richElement(part) {
    const children = (part.elements || []).map((item) => (item.type ? richElement(item) : null));
    switch (part.type) {
      case "rich_text_section":
        return el("div", {}, children);
      case "rich_text_preformatted":
        return el("pre", { class: "code-block" }, children);
      case "rich_text_quote":
        return el("blockquote", {}, children);
      case "rich_text_list":
        return el(part.style === "ordered" ? "ol" : "ul", {}, (part.elements || []).map((item) => el("li", {}, richElement(item))));
      case "text": {
        const style = part.style || {};
        let node = textNode(part.text || "");
        if (style.code) node = el("code", {}, node);
        if (style.bold) node = el("b", {}, node);
        if (style.italic) node = el("i", {}, node);
        if (style.strike) node = el("s", {}, node);
        return node;
      }
      case "link": {
        const href = safeUrl(part.url || "");
        return href ? link(href, textNode(part.text || part.url)) : textNode(part.text || part.url || "");
      }
      case "user":
        return el("span", { class: "mention" }, "@" + ((view.data && view.data.users[part.user_id]) || part.user_id));
      case "channel":
        return el("span", { class: "mention" }, "#" + part.channel_id);
      case "emoji":
        return emoji(part.name);
      case "date":
        return el("span", { class: "date" }, textNode(part.fallback || String(part.timestamp)));
      case "broadcast":
        return el("span", { class: "mention" }, "@" + part.range);
      default:
        return textNode(part.text || "");
    }
  }

  function renderElement(element, block, where) {
    const base = { action_id: element.action_id, block_id: block.block_id || "" };
    if (element.type === "button") {
      const href = element.url ? safeUrl(element.url) : null;
      const label = textNode((element.text || {}).text || "");
      const cls = "button" + (element.style ? " " + element.style : "");
      if (href) return el("a", { class: cls, href, target: "_blank", rel: "noopener noreferrer" }, label);
      return el("button", {
        type: "button", class: cls, "data-action-id": element.action_id,
        onclick: (event) => confirmed(element.confirm)
          && act(event.currentTarget, where, { ...base, type: "button", value: element.value }),
      }, label);
    }
    if (element.type === "static_select" || element.type === "overflow") {
      const placeholder = (element.placeholder || {}).text || (element.type === "overflow" ? "⋯" : "Select");
      const select = el("select", {
        class: "select", "data-action-id": element.action_id,
        onchange: (event) => act(event.currentTarget, where, {
          ...base, type: element.type, selected_option: event.currentTarget.value,
        }),
      }, el("option", { value: "", selected: true, disabled: true }, placeholder),
      (element.options || []).map((o) => el("option", { value: o.value }, textNode(o.text.text))));
      return select;
    }
    if (element.type === "image") return image(element, "accessory-image");
    return el("span", { class: "unsupported" }, `[${element.type}]`);
  }

  // A button's `confirm` dialog, as the browser's own: Slack asks before it sends the click.
  function confirmed(dialog) {
    if (!dialog) return true;
    const title = (dialog.title || {}).text || "Are you sure?";
    return window.confirm(unescapeSlack(title + "\n\n" + ((dialog.text || {}).text || "")));
  }

  function inputBlock(block) {
    const element = block.element || {};
    let control;
    if (element.type === "checkboxes") {
      const initial = new Set((element.initial_options || []).map((o) => o.value));
      control = el("span", { class: "input-control checkboxes", "data-kind": "checkboxes" },
        (element.options || []).map((o) => el("label", { class: "checkbox" },
          el("input", { type: "checkbox", value: o.value, checked: initial.has(o.value) }), textNode(o.text.text))));
    } else if (element.type === "static_select") {
      control = el("select", { class: "input-control", "data-kind": "static_select" },
        (element.options || []).map((o) => el("option", { value: o.value }, textNode(o.text.text))));
    } else if (element.multiline) {
      control = el("textarea", { class: "input-control", rows: 3, "data-kind": "plain_text_input" });
    } else {
      control = el("input", { class: "input-control", type: "text", "data-kind": "plain_text_input" });
    }
    control.dataset.blockId = block.block_id;
    control.dataset.actionId = element.action_id;
    if (element.placeholder) control.placeholder = element.placeholder.text;
    if (element.initial_value) control.value = element.initial_value;
    // A group of checkboxes is no one control: its own labels name each box.
    return el(element.type === "checkboxes" ? "div" : "label", { class: "block input" },
      el("span", { class: "input-label" }, textNode((block.label || {}).text || "")), control,
      block.hint ? el("span", { class: "input-hint" }, textNode(block.hint.text)) : null,
      el("span", { class: "input-error", "data-error-for": block.block_id }));
  }

  // --- messages ----------------------------------------------------------------------------------------

  function clock(ts) {
    return new Date(parseFloat(ts) * 1000).toISOString().slice(11, 16);
  }

  function renderFiles(files) {
    return (files || []).map((file) => el("div", { class: "file" },
      el("div", { class: "file-head" }, el("span", { class: "file-icon" }, "TXT"), el("a", { href: file.url, download: file.name }, file.title),
        el("span", { class: "file-size" }, ` ${file.size.toLocaleString()} bytes`)),
      file.preview ? el("pre", { class: "file-preview" }, file.preview + (file.truncated ? "\n…" : "")) : null));
  }

  function renderMessage(message, thread) {
    const where = message.ephemeral ? { channel: view.channel } : { channel: view.channel, message_ts: message.ts };
    const body = message.blocks && message.blocks.length ? renderBlocks(message.blocks, where) : mrkdwn(message.text);
    const node = el("article", { class: "message" + (message.ephemeral ? " ephemeral" : ""), "data-ts": message.ts },
      el("div", { class: "avatar" + (message.is_bot ? " bot" : "") }, (message.user_name || "?").slice(0, 1)),
      el("div", { class: "message-body" },
        el("div", { class: "meta" }, el("span", { class: "author" }, message.user_name),
          message.is_bot ? el("span", { class: "app-badge" }, "APP") : null,
          el("span", { class: "time" }, clock(message.ts)),
          message.edited ? el("span", { class: "edited" }, "(edited)") : null),
        message.ephemeral ? el("div", { class: "only-you" }, "Only visible to you") : null,
        body, renderFiles(message.files), thread ? renderThread(message) : null));
    return node;
  }

  function renderThread(message) {
    const replies = message.replies || [];
    if (!replies.length) return null;
    const open = view.openThreads.has(message.ts);
    const toggle = el("button", { type: "button", class: "thread-toggle", onclick: () => {
      if (view.openThreads.has(message.ts)) view.openThreads.delete(message.ts);
      else view.openThreads.add(message.ts);
      render();
    } }, open ? "Hide replies" : `${replies.length} ${replies.length === 1 ? "reply" : "replies"}`);
    return el("div", { class: "thread" }, toggle,
      open ? el("div", { class: "replies" }, replies.map((reply) => renderMessage(reply, false))) : null);
  }

  // --- talking to the local Slack ----------------------------------------------------------------------

  async function post(path, body) {
    try {
      const response = await fetch(path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      const text = await response.text();
      let answer;
      try {
        answer = JSON.parse(text);
      } catch (_error) {
        answer = { ok: false, error: text };
      }
      if (!response.ok && !answer.error) answer.error = `HTTP ${response.status}`;
      return answer;
    } catch (error) {
      return { ok: false, error: `The local Slack is not answering (${error.message}).` };
    }
  }

  function say(text, bad) {
    const status = $("status");
    status.textContent = text || "";
    status.classList.toggle("bad", Boolean(bad));
  }

  async function act(control, where, action) {
    control.disabled = true;
    say("Sent to Boltwatch…");
    const answer = await post("/sandbox/action", { ...where, ...action });
    say(answer.error || "", Boolean(answer.error));
    control.disabled = false;
    await poll(true);
  }

  async function poll(force) {
    const query = new URLSearchParams({ channel: view.channel || "" });
    if (view.version !== null && !force) query.set("version", view.version);
    const response = await fetch("/sandbox/state?" + query.toString(), { cache: "no-store" });
    const data = await response.json();
    if (data.unchanged) return;
    view.data = data;
    view.version = data.version;
    view.channel = data.channel;
    render();
  }

  // --- the page ----------------------------------------------------------------------------------------

  function render() {
    const data = view.data;
    if (!data) return;
    $("viewer-name").textContent = data.viewer.name;
    $("channels").replaceChildren(...data.channels.map((channel) => el("li", {},
      el("button", { type: "button", class: "channel" + (channel.id === view.channel && view.tab === "messages" ? " active" : ""),
        "data-channel": channel.id, onclick: () => selectChannel(channel.id) }, "# " + channel.name))));
    const name = (data.channels.find((c) => c.id === view.channel) || { name: "alerts" }).name;
    $("title").textContent = view.tab === "home" ? "Boltwatch" : "#" + name;
    $("tab-messages").classList.toggle("active", view.tab === "messages");
    $("tab-home").classList.toggle("active", view.tab === "home");
    $("app-home").classList.toggle("active", view.tab === "home");
    $("messages").hidden = view.tab !== "messages";
    $("composer").hidden = view.tab !== "messages";
    $("home").hidden = view.tab !== "home";
    $("composer-input").placeholder = `Message #${name} — a slash command, e.g. /logs orders-api 1h`;
    renderMessages(data.messages);
    $("home").replaceChildren(data.home ? renderBlocks(data.home.blocks, { view_id: data.home.id })
      : el("p", { class: "hint" }, "Opening Boltwatch's Home…"));
    renderModal(data.modal);
  }

  function renderMessages(messages) {
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    const top = list.scrollTop;
    list.replaceChildren(...(messages.length ? messages.map((m) => renderMessage(m, true))
      : [el("p", { class: "hint empty" }, "No messages yet. Fire an alarm or run a command.")]));
    list.scrollTop = atBottom ? list.scrollHeight : top;
  }

  function renderModal(modal) {
    const backdrop = $("modal");
    const key = modal ? modal.id + ":" + modal.hash : null;
    if (key === view.modalKey) return;
    view.modalKey = key;
    backdrop.hidden = !modal;
    if (!modal) return backdrop.replaceChildren();
    const submit = modal.submit ? el("button", { type: "submit", class: "button primary" }, textNode(modal.submit.text)) : null;
    const form = el("form", { class: "modal", role: "dialog", "aria-modal": "true" },
      el("h2", {}, textNode((modal.title || {}).text || "")),
      renderBlocks(modal.blocks, { view_id: modal.id }),
      el("div", { class: "modal-buttons" },
        el("button", { type: "button", class: "button", onclick: () => post("/sandbox/close", { view_id: modal.id }).then(() => poll(true)) },
          textNode((modal.close || { text: "Close" }).text)), submit));
    form.addEventListener("submit", (event) => { event.preventDefault(); submitModal(form, modal); });
    backdrop.replaceChildren(form);
    const first = form.querySelector(".input-control");
    if (first) first.focus();
  }

  async function submitModal(form, modal) {
    const values = {};
    for (const control of form.querySelectorAll(".input-control")) {
      let entry;
      if (control.dataset.kind === "checkboxes") {
        // As Slack sends them: the chosen options themselves, an empty list when none is ticked.
        const ticked = new Set([...control.querySelectorAll("input:checked")].map((box) => box.value));
        const block = modal.blocks.find((b) => b.block_id === control.dataset.blockId) || {};
        entry = { type: "checkboxes", selected_options: ((block.element || {}).options || []).filter((o) => ticked.has(o.value)) };
      } else if (control.dataset.kind === "static_select") {
        entry = { type: "static_select", selected_option: { text: { type: "plain_text", text: control.selectedOptions[0]?.textContent || "" }, value: control.value } };
      } else {
        entry = { type: "plain_text_input", value: control.value };
      }
      (values[control.dataset.blockId] ||= {})[control.dataset.actionId] = entry;
    }
    for (const hint of form.querySelectorAll(".input-error")) hint.textContent = "";
    const answer = await post("/sandbox/submit", { view_id: modal.id, values });
    for (const [blockId, message] of Object.entries(answer.errors || {})) {
      const hint = form.querySelector(`[data-error-for="${CSS.escape(blockId)}"]`);
      if (hint) hint.textContent = message;
    }
    say(answer.error || "", Boolean(answer.error));
    await poll(true);
  }

  function selectChannel(id) {
    view.channel = id;
    view.tab = "messages";
    view.openThreads.clear();
    poll(true);
  }

  async function openHome() {
    view.tab = "home";
    render();
    const answer = await post("/sandbox/home", {});
    say(answer.error || "", Boolean(answer.error));
    await poll(true);
  }

  async function sendCommand(event) {
    event.preventDefault();
    const input = $("composer-input");
    const text = input.value.trim();
    if (!text) return;
    say(`Running ${text}…`);
    const answer = await post("/sandbox/command", { channel: view.channel, text });
    if (!answer.error) input.value = "";
    say(answer.error || "", Boolean(answer.error));
    await poll(true);
  }

  async function loadScenarios() {
    const { scenarios } = await (await fetch("/sandbox/scenarios")).json();
    $("scenario-list").replaceChildren(...scenarios.map((scenario) => {
      const target = scenario.targets.length > 1
        ? el("select", { class: "select" }, scenario.targets.map((t) => el("option", { value: t }, t)))
        : el("span", { class: "target" }, scenario.targets[0] || "");
      const button = el("button", { type: "button", class: "button", "data-scenario": scenario.name,
        onclick: () => runScenario(button, scenario, target) }, scenario.label);
      return el("div", { class: "scenario" }, button, target);
    }));
    if (!scenarios.length) $("scenario-list").append(el("p", { class: "hint" }, "No scenarios in this setup."));
  }

  async function runScenario(button, scenario, target) {
    button.disabled = true;
    const answer = await post("/sandbox/scenario", { name: scenario.name, target: target.value || target.textContent });
    $("scenario-log").prepend(el("li", { class: answer.error ? "bad" : "" }, answer.error || answer.result || "done"));
    button.disabled = false;
  }

  async function loadEmoji() {
    try {
      EMOJI = (await (await fetch("/sandbox/emoji")).json()).emoji || {};
    } catch (_error) {
      EMOJI = {};
    }
  }

  async function start() {
    await loadEmoji();
    $("composer").addEventListener("submit", sendCommand);
    $("app-home").addEventListener("click", openHome);
    $("tab-home").addEventListener("click", openHome);
    $("tab-messages").addEventListener("click", () => selectChannel(view.channel));
    loadScenarios();
    const tick = () => poll(false).catch(() => say("The local Slack is not answering.", true))
      .finally(() => setTimeout(tick, POLL_MS));
    tick();
  }

  window.boltwatch = { mrkdwn };
  start();
})();
