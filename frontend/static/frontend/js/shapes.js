// Answer shapes: an accessibility rule. Each option slot pairs a colour (CSS class a0…a7, from
// frontend/css/shapes.css) with a shape, so a colour-blind player tells options apart by shape,
// and the same option index has the same shape on every page: phone, screen, host, contest paper,
// bank preview.
import { gettext } from "./i18n.js";

export const SHAPES = ["▲", "◆", "●", "■", "★", "⬟", "✚", "⬢"];
export const shapeNames = () => [
  gettext("triangle"), gettext("diamond"), gettext("circle"), gettext("square"),
  gettext("star"), gettext("pentagon"), gettext("cross"), gettext("hexagon"),
];

/** The slot of the option at `index` (options past eight start again). */
export const slotOf = (index) => index % SHAPES.length;
export const shapeOf = (index) => SHAPES[slotOf(index)];
export const shapeName = (index) => shapeNames()[slotOf(index)];
/** The colour class of the option at `index`. */
export const slotClass = (index) => `a${slotOf(index)}`;
