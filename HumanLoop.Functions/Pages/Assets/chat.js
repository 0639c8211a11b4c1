// HumanLoop's chat page: follows a run's live channel (docs/live.md) over a WebSocket and renders it. Written for this
// app and served by it (no CDN, no inline script). Every frame carries a sequence number: a reload replays the run's log
// from the start into an empty page, and a dropped connection resumes after the last number seen, so no message is
// lost or shown twice.
(function () {
  "use strict";
  var root = document.getElementById("chat");
  if (!root) { return; }
  var transcript = document.getElementById("transcript");
  var composer = document.getElementById("composer");
  var connection = document.getElementById("connection");
  var code = new URLSearchParams(window.location.search).get("code");
  var lastSeq = 0;
  var ended = false;
  var retry = 250;
  var socket = null;
  var sent = 0;
  var messages = new Map();
  var prompts = new Map();
  var current = null;

  function liveUrl() {
    var url = new URL(root.dataset.live, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    url.searchParams.set("after", String(lastSeq));
    if (code) { url.searchParams.set("code", code); }
    return url.toString();
  }

  function setConnection(state, text) {
    root.dataset.state = state;
    connection.textContent = text;
  }

  function connect() {
    setConnection("connecting", "Connecting…");
    socket = new WebSocket(liveUrl());
    socket.onopen = function () { retry = 250; setConnection("open", "Connected"); };
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    socket.onclose = function () {
      socket = null;
      if (ended) { setConnection("ended", "The conversation has ended."); return; }
      root.dataset.reconnects = String(Number(root.dataset.reconnects || "0") + 1);
      setConnection("closed", "Connection lost; reconnecting…");
      window.setTimeout(connect, retry);
      retry = Math.min(retry * 2, 5000);
    };
  }

  function bubble(kind, text) {
    var item = document.createElement("li");
    item.className = kind;
    item.textContent = text;
    transcript.appendChild(item);
    item.scrollIntoView({ block: "end" });
    return item;
  }

  // The bubble of an agent message, made when its first piece (or its whole text) arrives.
  function agentMessage(id, streaming) {
    var item = messages.get(id);
    if (!item) {
      item = bubble(streaming ? "agent streaming" : "agent", "");
      item.dataset.messageId = id;
      messages.set(id, item);
    }
    return item;
  }

  function show(value) {
    if (typeof value === "string") { return value; }
    if (value && typeof value === "object" && typeof value.approved === "boolean") { return value.approved ? "Approved" : "Rejected"; }
    return JSON.stringify(value);
  }

  function handle(frame) {
    if (typeof frame.seq === "number") {
      if (frame.seq <= lastSeq) { return; }
      lastSeq = frame.seq;
      root.dataset.lastSeq = String(lastSeq);
    }

    switch (frame.type) {
      case "chunk":
        agentMessage(frame.messageId, true).textContent += frame.text;
        break;
      case "message": {
        var whole = agentMessage(frame.messageId, false);
        whole.textContent = frame.text;
        whole.classList.remove("streaming");
        break;
      }
      case "prompt": {
        var elsewhere = otherChannels(frame.channel);
        bubble("agent prompt", frame.prompt).dataset.requestId = frame.requestId;
        if (elsewhere) {
          // Not a question for the chat (a review by email, say): shown, and answered where it was sent.
          bubble("system elsewhere", "Waiting for an answer by " + elsewhere + ".").dataset.requestId = frame.requestId;
          break;
        }
        prompts.set(frame.requestId, frame);
        current = frame.requestId;
        renderComposer(frame);
        break;
      }
      case "invalid":
        if (frame.answer !== undefined) { bubble("user refused", show(frame.answer)); }
        bubble("system invalid", frame.message);
        if (current === frame.requestId && prompts.has(current)) { renderComposer(prompts.get(current), frame.message); }
        break;
      case "accepted": {
        var by = frame.channel && frame.channel !== "chat" ? " (answered by " + (frame.respondent || "someone") + " via " + frame.channel + ")" : "";
        bubble("user", show(frame.answer) + by);
        closePrompt(frame.requestId);
        break;
      }
      case "withdrawn":
        closePrompt(frame.requestId);
        break;
      case "status":
        if (frame.event === "ReminderDue" || frame.event === "Escalated" || frame.event === "TimedOut" || frame.event === "NodeFailed") {
          bubble("system", frame.message || frame.event);
        }
        break;
      case "end":
        ended = true;
        current = null;
        composer.replaceChildren();
        bubble("system end", frame.status === "Completed" ? "The conversation has ended." : "The run ended: " + frame.status + (frame.message ? " (" + frame.message + ")" : ""));
        break;
      case "ack":
        setBusy(false);
        if (frame.outcome === "Buffered") { setError("Your answer is kept until the question opens."); }
        break;
      case "error":
        setBusy(false);
        setError(frame.message);
        break;
      default:
        break;
    }
  }

  // The channels a request goes out on, in words, when the chat is not one of them; null when it is (or none is named).
  function otherChannels(channel) {
    if (typeof channel !== "string" || channel === "") { return null; }
    var names = channel.split(/[\s,]+/).filter(function (name) { return name !== ""; });
    if (names.indexOf("Chat") >= 0 || names.indexOf("Any") >= 0) { return null; }
    var words = names.map(function (name) { return name.toLowerCase(); });
    return words.length > 1 ? words.slice(0, -1).join(", ") + " or " + words[words.length - 1] : words[0];
  }

  function closePrompt(requestId) {
    prompts.delete(requestId);
    if (current === requestId) { current = null; composer.replaceChildren(); }
  }

  function setBusy(busy) {
    composer.querySelectorAll("button, input, textarea").forEach(function (element) { element.disabled = busy; });
  }

  function setError(text) {
    var error = composer.querySelector(".error");
    if (!error) {
      error = document.createElement("p");
      error.className = "error";
      error.id = "error";
      error.setAttribute("role", "alert");
      composer.appendChild(error);
    }
    error.textContent = text;
  }

  function send(requestId, value) {
    if (!socket || socket.readyState !== WebSocket.OPEN) { setError("Not connected yet; try again in a moment."); return; }
    sent += 1;
    var id = "page-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 8) + "-" + sent;
    setBusy(true);
    socket.send(JSON.stringify({ type: "answer", requestId: requestId, value: value, clientMessageId: id }));
  }

  function renderComposer(prompt, error) {
    composer.replaceChildren();
    var form = document.createElement("form");
    form.id = "answer";
    var details = prompt.details || {};
    var kind = prompt.kind;
    if ((kind === "Choice" || kind === "Approval") && Array.isArray(prompt.options)) {
      prompt.options.forEach(function (option) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "option secondary";
        button.textContent = option;
        button.dataset.value = option;
        button.addEventListener("click", function () { send(prompt.requestId, option); });
        form.appendChild(button);
      });
    }

    var input;
    if (kind === "Form" || kind === "Edit") {
      input = document.createElement("textarea");
      if (kind === "Edit" && typeof details.value === "string") { input.value = details.value; }
    } else {
      input = document.createElement("input");
      input.type = kind === "Number" ? "number" : "text";
      if (typeof details.pattern === "string") { input.pattern = details.pattern; }
      if (typeof details.maxLength === "number") { input.maxLength = details.maxLength; }
      if (typeof details.minimum === "number") { input.min = String(details.minimum); }
      if (typeof details.maximum === "number") { input.max = String(details.maximum); }
    }
    input.id = "reply";
    input.name = "reply";
    input.autocomplete = "off";
    input.placeholder = kind === "Choice" ? "…or type your reply" : "Type your reply";
    input.setAttribute("aria-label", prompt.prompt);
    form.appendChild(input);
    var submit = document.createElement("button");
    submit.type = "submit";
    submit.id = "send";
    submit.textContent = "Send";
    form.appendChild(submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var text = input.value;
      var value = text;
      if (kind === "Number") { value = Number(text); }
      if (kind === "Form") { try { value = JSON.parse(text); } catch (e) { setError("Enter the form as JSON."); return; } }
      // The server checks the answer (pattern included) and says why it is refused, in place.
      send(prompt.requestId, value);
      input.value = "";
    });
    form.noValidate = true;
    composer.appendChild(form);
    if (error) { setError(error); }
    input.focus();
  }

  connect();
})();
