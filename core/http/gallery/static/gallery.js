// The gallery's keyboard and picture zoom. Pages work without it; it only adds shortcuts:
// j/k or arrows move between cards (or to the next/previous page), Enter opens the selected card,
// 1-5 rate the item on the page, ? shows the keys.
"use strict";

function typing(event) {
  const target = event.target;
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function cards() {
  return [...document.querySelectorAll(".card")];
}

function select(step) {
  const all = cards();
  if (all.length === 0) return false;
  const current = all.findIndex((card) => card.classList.contains("selected"));
  const next = current < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, current + step));
  all.forEach((card) => card.classList.remove("selected"));
  all[next].classList.add("selected");
  all[next].scrollIntoView({ block: "nearest" });
  return true;
}

function follow(rel) {
  const link = document.querySelector(`a[rel=${rel}]`);
  if (link) link.click();
}

function rate(key) {
  const scope = document.querySelector(".card.selected") || document;
  const button = scope.querySelector(`form.feedback button[data-key="${key}"]`) || document.querySelector(`form.feedback button[data-key="${key}"]`);
  if (button) button.click();
}

function toggleHelp() {
  const help = document.getElementById("help");
  if (help.open) help.close();
  else help.showModal();
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
  const key = event.key;
  if (key === "?") toggleHelp();
  else if (["j", "ArrowDown", "ArrowRight"].includes(key)) { if (!select(1)) follow("next"); }
  else if (["k", "ArrowUp", "ArrowLeft"].includes(key)) { if (!select(-1)) follow("prev"); }
  else if (key === "J" || key === "n") follow("next");
  else if (key === "K" || key === "p") follow("prev");
  else if (key === "Enter" || key === "o") {
    const open = document.querySelector(".card.selected a.open");
    // Enter on a focused link, button or summary does what it always does; a control left focused
    // inside a closed dialog (the keys' Close button, when focus is not handed back) is not one.
    const control = event.target.closest("a, button, summary");
    if (!open || (key === "Enter" && control && !control.closest("dialog:not([open])"))) return;
    open.click();
  }
  else if (/^[1-5]$/.test(key)) rate(key);
  else return;
  event.preventDefault();
});

document.addEventListener("click", (event) => {
  const image = event.target;
  if (!(image instanceof HTMLImageElement) || !image.classList.contains("zoom") || image.closest("a")) return;
  const dialog = document.createElement("dialog");
  dialog.className = "zoomed";
  const large = document.createElement("img");
  large.src = image.src;
  large.alt = image.alt;
  dialog.append(large);
  dialog.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
});
