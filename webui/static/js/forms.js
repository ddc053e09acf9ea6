// Command forms generated from the gateway's own OpenAPI schema: every POST whose body is
// {target, event} is a command, its event's fields become inputs by their JSON-schema type, so a new
// command or a new field needs no UI code. Charger runtime routes (start/stop/reset) are commands too.

import { openapi } from "./api.js";
import { html } from "./html.js";

function resolve(spec, schema) {
  if (!schema) return schema;
  if (schema.$ref) return resolve(spec, spec.components.schemas[schema.$ref.split("/").pop()]);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) {
    const real = options.filter((o) => o.type !== "null");
    if (real.length === 1) return { ...resolve(spec, real[0]), nullable: true, ...pick(schema) };
  }
  return schema;
}

const pick = ({ title, description, default: d }) =>
  Object.fromEntries(Object.entries({ title, description, default: d }).filter(([, v]) => v !== undefined));

export async function commandCatalog() {
  const spec = await openapi();
  const commands = [];
  for (const [path, operations] of Object.entries(spec.paths)) {
    const op = operations.post;
    if (!op || op.deprecated) continue; // an older path kept for old clients (restart-charger)
    const body = resolve(spec, op.requestBody?.content?.["application/json"]?.schema);
    if (body?.properties?.target && body?.properties?.event) {
      const event = resolve(spec, body.properties.event);
      commands.push({
        name: path.split("/ocpp/commands/").pop(),
        path,
        summary: op.summary ?? op.description ?? "",
        target: resolve(spec, body.properties.target),
        event: { ...event, properties: Object.fromEntries(Object.entries(event.properties ?? {})
          .map(([k, v]) => [k, resolve(spec, v)])) },
      });
    } else if (!op.requestBody && /^\/ocpp\/chargers\/\{charger_id\}\/[a-z-]+$/.test(path)) {
      commands.push({ name: path.split("/").pop(), path, summary: op.summary ?? "", runtime: true });
    }
  }
  return commands;
}

function example(schema) {
  if (schema.type === "array") return [example(schema.items ?? {})];
  if (schema.type === "object" || schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, example(v)]));
  }
  if (schema.enum) return schema.enum[0];
  return { integer: 0, number: 0, boolean: false }[schema.type] ?? "";
}

export function Field({ name, schema, required }) {
  const label = html`<span class="label">${schema.title ?? name}${required ? " *" : ""}</span>`;
  const help = schema.description && html`<small class="muted">${schema.description}</small>`;
  const id = `event.${name}`;
  let input;
  if (schema.enum) {
    input = html`<select name=${id}>${!required && html`<option value="">–</option>`}
      ${schema.enum.map((v) => html`<option value=${v} selected=${schema.default === v}>${v}</option>`)}</select>`;
  } else if (schema.type === "boolean") {
    input = html`<input type="checkbox" name=${id} checked=${schema.default === true} />`;
  } else if (schema.type === "integer" || schema.type === "number") {
    const min = schema.minimum ?? schema.exclusiveMinimum;
    input = html`<input type="number" name=${id} step=${schema.type === "integer" ? 1 : "any"}
      min=${min} max=${schema.maximum ?? schema.exclusiveMaximum} value=${schema.default ?? ""} required=${required} />`;
  } else if (schema.type === "array" || schema.type === "object" || schema.properties) {
    const value = schema.default !== undefined ? JSON.stringify(schema.default) : "";
    input = html`<textarea name=${id} rows="3" placeholder=${JSON.stringify(example(schema))}
      data-json="1">${value}</textarea>`;
  } else {
    input = html`<input type="text" name=${id} value=${schema.default ?? ""} required=${required}
      maxlength=${schema.maxLength} minlength=${schema.minLength} />`;
  }
  return html`<label class="field">${label}${input}${help}</label>`;
}

export function EventFields({ schema }) {
  const required = new Set(schema.required ?? []);
  return Object.entries(schema.properties ?? {}).map(([name, field]) =>
    html`<${Field} name=${name} schema=${field} required=${required.has(name)} key=${name} />`);
}

// The event object from the form's inputs: empty optional fields left out, numbers and JSON parsed.
export function eventValue(form, schema) {
  const value = {};
  for (const [name, field] of Object.entries(schema.properties ?? {})) {
    const input = form.elements[`event.${name}`];
    if (!input) continue;
    if (field.type === "boolean") { value[name] = input.checked; continue; }
    const text = input.value.trim();
    if (text === "") continue;
    if (input.dataset.json) {
      try { value[name] = JSON.parse(text); } catch { throw new Error(`${name}: not valid JSON`); }
    } else if (field.type === "integer" || field.type === "number") value[name] = Number(text);
    else value[name] = text;
  }
  return value;
}
