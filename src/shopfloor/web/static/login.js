// The login page: the only page without a session, so it stands alone (the shared module
// is behind the login). It posts the credentials to /api/login, which answers with an
// HttpOnly session cookie, and goes on to the page that was asked for.

/** Where to go after logging in: a path on this site only, never another site. */
function nextPage() {
  const wanted = new URLSearchParams(location.search).get("next") ?? "/";
  return wanted.startsWith("/") && !wanted.startsWith("//") ? wanted : "/";
}

function field(id, label, type, autocomplete) {
  const wrap = document.createDocumentFragment();
  const caption = document.createElement("label");
  caption.htmlFor = id;
  caption.textContent = label;
  const input = document.createElement("input");
  Object.assign(input, { id, name: id, type, autocomplete, required: true });
  wrap.append(caption, input);
  return wrap;
}

async function logIn(username, password) {
  const response = await fetch("/api/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ username, password }),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Error(data?.message ?? response.statusText);
  return data;
}

const form = document.createElement("form");
form.className = "card";
form.id = "login-form";
form.innerHTML = '<h1>shopfloor</h1><p class="muted">Log in to see the plant.</p>';
const message = document.createElement("p");
Object.assign(message, { className: "error", id: "login-error", role: "alert" });
const submit = document.createElement("button");
Object.assign(submit, { type: "submit", className: "primary", textContent: "Log in" });
form.append(
  field("username", "User", "text", "username"),
  field("password", "Password", "password", "current-password"),
  submit,
  message,
);
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  message.textContent = "";
  submit.disabled = true;
  try {
    const session = await logIn(form.username.value, form.password.value);
    location.assign(session.must_change_password ? "/password" : nextPage());
  } catch (error) {
    message.textContent = error.message;
    submit.disabled = false;
  }
});
document.getElementById("main").replaceChildren(form);
form.username.focus();
