// Change your own password: required before anything else for a new user or after an admin
// reset. The API answers with a fresh session cookie (the others of this user end).
import { api, el, header, start } from "./app.js";

start(async () => {
  const me = await header();
  const message = el("p", { class: "error", role: "alert" });
  const field = (id, label, autocomplete) => [
    el("label", { for: id }, label),
    el("input", { id, name: id, type: "password", autocomplete, required: true }),
  ];
  const form = el(
    "form",
    { class: "card", id: "password-form" },
    el("h1", {}, "Change password"),
    el("p", { class: "muted" }, me.must_change_password
      ? `Welcome, ${me.user}. Choose your own password before you go on.`
      : `Choose a new password for ${me.user}.`),
    field("current", "Current password", "current-password"),
    field("new", "New password", "new-password"),
    field("repeat", "New password again", "new-password"),
    el("button", { type: "submit", class: "primary" }, "Change password"),
    message,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (form.new.value !== form.repeat.value) {
      message.textContent = "The two new passwords differ.";
      return;
    }
    try {
      const body = { current: form.current.value, new: form.new.value };
      await api("/api/me/password", { method: "POST", body });
      location.assign("/");
    } catch (error) {
      message.textContent = error.message;
    }
  });
  document.getElementById("main").replaceChildren(form);
});
