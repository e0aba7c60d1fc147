// The Orgpass window's entry: draws the state the Orgpass plugin emits (AppView, event `orgpass://state`) into #app
// and calls its commands through the plugin's guest bindings. The pieces: state.ts (the webview's own state),
// actions.ts (every call to the plugin), screens/ (one pure module per screen), render.ts (the render loop).
import "./style.css";
import { createApp } from "./render";

void createApp(document.getElementById("app")!).start();
