// Preact with htm's tagged templates: components without a build step.
import { h, render } from "preact";
import htm from "htm";

export const html = htm.bind(h);
export { render };
export { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "preact/hooks";
