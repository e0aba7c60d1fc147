// The whole page of the embed example: one button, then who is signed in. State comes only from the plugin's event.
import { appState, beginLogin, onState, type AppView } from "tauri-plugin-orgpass-api";

const who = document.getElementById("who")!;
const org = document.getElementById("org") as HTMLInputElement;

function render(view: AppView) {
  const session = view.sessions.find((s) => s.orgId === view.active);
  who.textContent = session
    ? `Signed in to ${session.orgDisplayName} as ${session.email ?? session.sub}`
    : view.pending
      ? "Finish signing in in your browser…"
      : (view.lastError?.message ?? "Not signed in");
}

document.getElementById("sign-in")!.addEventListener("click", () => {
  beginLogin(org.value).catch((e) => (who.textContent = `${e.message} ${e.nextStep}`));
});

await onState(render);
render(await appState());
