// The lab's shell: sign-in (the token is pasted once and kept in this browser), the organization an
// admin acts in, and one view per hash route. Each view lives in views/ and loads its own data.

import { api, session } from "./api.js";
import { html, render, useEffect, useState } from "./html.js";
import { ChargerView } from "./views/charger.js";
import { ChartsView } from "./views/charts.js";
import { CommandsView } from "./views/commands.js";
import { FleetView } from "./views/fleet.js";
import { RecordingsView } from "./views/recordings.js";

const VIEWS = [
  ["fleet", "Fleet"],
  ["commands", "Commands"],
  ["charts", "Charts"],
  ["recordings", "Recordings"],
];

function route() {
  const [, view = "fleet", ...rest] = location.hash.replace(/^#/, "").split("/");
  return { view: view || "fleet", args: rest.map(decodeURIComponent) };
}

function SignIn({ onSignedIn, problem }) {
  const [error, setError] = useState(problem);
  async function submit(event) {
    event.preventDefault();
    const field = event.currentTarget.elements.token;
    session.token = field.value.trim();
    field.value = "";
    try {
      onSignedIn(await api("/lab/api/me"));
    } catch (e) {
      session.signOut();
      setError(e.status === 401 ? "That token is not valid (or was revoked)." : e.message);
    }
  }
  return html`
    <form class="card sign-in" onSubmit=${submit}>
      <h1>Sign in to the lab</h1>
      <p>Paste an API token. <code>make run</code> and <code>make demo</code> write a dev token to
        <code>var/dev-token</code>; otherwise <code>ocpp-ledger token create --org NAME</code>.
        It stays in this browser and is sent only in the <code>Authorization</code> header.</p>
      <input name="token" type="password" autocomplete="off" placeholder="API token" required />
      <button type="submit">Sign in</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>`;
}

function OrganizationPicker({ me, onChosen }) {
  const [known, setKnown] = useState([]);
  useEffect(() => { api("/lab/api/organizations").then((r) => setKnown(r.data)).catch(() => {}); }, []);
  function submit(event) {
    event.preventDefault();
    session.organization = event.currentTarget.elements.organization.value.trim();
    onChosen();
  }
  return html`
    <form class="card sign-in" onSubmit=${submit}>
      <h1>Choose an organization</h1>
      <p>This is an admin token: it acts in one organization at a time.</p>
      <input name="organization" list="organizations" placeholder="organization" required
        value=${session.organization ?? ""} />
      <datalist id="organizations">${known.map((o) => html`<option value=${o} />`)}</datalist>
      <button type="submit">Open</button>
    </form>`;
}

function Lab() {
  const [me, setMe] = useState(null);
  const [problem, setProblem] = useState(null);
  const [where, setWhere] = useState(route());
  const [organization, setOrganization] = useState(session.organization);

  useEffect(() => {
    const moved = () => setWhere(route());
    const refused = () => { session.signOut(); setMe(null); setProblem("The token was refused: sign in again."); };
    window.addEventListener("hashchange", moved);
    window.addEventListener("lab:unauthorized", refused);
    if (session.token) api("/lab/api/me").then(setMe).catch(() => setMe(null));
    return () => {
      window.removeEventListener("hashchange", moved);
      window.removeEventListener("lab:unauthorized", refused);
    };
  }, []);

  if (!session.token || !me) return html`<${SignIn} onSignedIn=${setMe} problem=${problem} />`;
  const admin = me.role === "admin";
  if (admin && !organization) {
    return html`<${OrganizationPicker} me=${me} onChosen=${() => setOrganization(session.organization)} />`;
  }
  const { view, args } = where;
  const body = {
    fleet: () => html`<${FleetView} />`,
    charger: () => html`<${ChargerView} chargerId=${args[0]} key=${args[0]} />`,
    commands: () => html`<${CommandsView} />`,
    command: () => html`<${CommandsView} commandId=${args[0]} />`,
    charts: () => html`<${ChartsView} />`,
    recordings: () => html`<${RecordingsView} />`,
  }[view] ?? (() => html`<p>Unknown view.</p>`);
  return html`
    <div class="session-bar">
      <nav class="views">${VIEWS.map(([name, label]) =>
        html`<a href=${`#/${name}`} class=${view === name || (name === "commands" && view === "command") || (name === "fleet" && view === "charger") ? "active" : ""}>${label}</a>`)}</nav>
      <span class="who">
        ${admin ? html`admin in <b>${organization}</b>
          <button class="link" onClick=${() => { session.organization = null; setOrganization(null); }}>change</button>`
          : html`organization <b>${me.organization}</b>`}
        <button class="link" onClick=${() => { session.signOut(); setMe(null); }}>sign out</button>
      </span>
    </div>
    <div key=${organization}>${body()}</div>`;
}

render(html`<${Lab} />`, document.getElementById("app"));
