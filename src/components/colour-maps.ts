// Every colour map of the report in one place: the diverging maps of signed
// relevance (RdBu, PuOr) and the sequential maps of magnitudes (magma,
// viridis, greys, cividis), as colourAt(map, t) for t in [0, 1] and as
// 256-entry tables for painting canvases. Heatmaps, their colour keys and
// the Plot grids of the chapters all read their colours from here, so a key
// always shows exactly what the pixels use.
//
// - RdBu and PuOr: ColorBrewer's 11-class schemes (Brewer, colorbrewer2.org),
//   written out as data from the most negative to the most positive value
//   (RdBu: blue -> white -> red; PuOr: purple -> white -> orange), and
//   interpolated linearly in sRGB, so every published class colour appears
//   exactly (white at 0).
// - cividis: the published 256-entry table (Nuñez, Anderton & Renslow 2018,
//   "Optimizing colormaps with consideration for color vision deficiency",
//   PLOS ONE; the table matplotlib ships), as millionths of sRGB in [0, 1]:
//   nearly the same map for readers with and without a red-green colour
//   vision deficiency, its lightness rising monotonically.
// - magma, viridis, greys: the schemes of Observable Plot (d3-scale-chromatic:
//   matplotlib's 256-entry magma and viridis tables, ColorBrewer's greys),
//   as the heatmaps drew them before.
// Pure functions of their arguments; no DOM, so the unit tests run them in Node.
import * as Plot from "@observablehq/plot";

export const SEQUENTIAL_MAPS = ["magma", "viridis", "greys", "cividis"] as const;
export const DIVERGING_MAPS = ["RdBu", "PuOr"] as const;
export type SequentialMap = (typeof SEQUENTIAL_MAPS)[number];
export type DivergingMap = (typeof DIVERGING_MAPS)[number];
export type ColourMapName = SequentialMap | DivergingMap;
export type Rgb = [number, number, number];

/** ColorBrewer RdBu, 11 classes, from the most negative value (dark blue) to the most positive (dark red). */
export const RDBU_11 = ["#053061", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#f7f7f7", "#fddbc7", "#f4a582", "#d6604d", "#b2182b", "#67001f"] as const;
/** ColorBrewer PuOr, 11 classes, from the most negative value (dark purple) to the most positive (dark orange). */
export const PUOR_11 = ["#2d004b", "#542788", "#8073ac", "#b2abd2", "#d8daeb", "#f7f7f7", "#fee0b6", "#fdb863", "#e08214", "#b35806", "#7f3b08"] as const;

/** cividis, 256 entries of R, G, B in millionths (6 digits each), from low to high. */
const CIVIDIS_MILLIONTHS =
  "000000135112304751000000138068311105000000141013317579000000143951323982000000146877330479000000149791337065" +
  "000000152673343704000000155377350500000000157932357521000000160495364534000000163058371608000000165621378769" +
  "000000168204385902000000170800393100000000173420400353000000176082407577000000178802414764000000181610421859" +
  "000000184550428802000000186915435532000000188769439563000000190950441085000000193366441561003602195911441564" +
  "017852198528441248032110201199440785046205203903440196058378206629439531068968209372438863078624212122438105" +
  "087465214879437342095645217643436593103401220406435790110658223170435067117612225935434308124291228697433547" +
  "130669231458432840136830234216432148142852236972431404148638239724430752154261242475430120159733245221429528" +
  "165113247965428908170362250707428325175490253444427790180503256180427299185453258914426788190303261644426329" +
  "195057264372425924199764267099425497204385269823425126208926272546424809213431275266424480217863277985424206" +
  "222264280702423914226598283419423678230871286134423498235120288848423304239312291562423167243485294274423014" +
  "247605296986422917251675299698422873255731302409422814259740305120422810263738307831422789267693310542422821" +
  "271639313253422837275513315965422979279411318677423031283240321390423211287065324103423373290884326816423517" +
  "294669329531423716298421332247423973302169334963424213305886337681424512309601340399424790313287343120425120" +
  "316941345842425512320595348565425889324250351289426250327875354016426670331474356744427144335073359474427605" +
  "338673362206428053342246364939428559345793367676429127349341370414429685352892373153430226356418375896430823" +
  "359916378641431501363446381388432075366923384139432796370430386890433428373884389646434209377371392404434890" +
  "380830395164435653384268397928436475387705400694437305391151403464438096394568406236438986397991409011439848" +
  "401418411790440708404820414572441642408226417357442570411607420145443577414992422937444578418383425733445560" +
  "421748428531446640425120431334447692428462434140448864431817436950449982435168439763451134438504442580452341" +
  "441810445402453659445148448226454885448447451053456264451759453887457582455072456718458976458366459552460457" +
  "461616462405461969464947465241463395468254468083464908471501470960466357474812473832467681478186476699468845" +
  "481622479573469767485141482451470384488697485318471008492278488198471453495913491076471751499552493960472032" +
  "503185496851472305506866499743472432510540502643472550514226505546472640517920508454472707521643511367472639" +
  "525348514285472660529086517207472543532829520135472401536553523067472352540307526005472163544069528948471947" +
  "547840531895471704551612534849471439555393537807471147559181540771470829562972543741470488566802546715469988" +
  "570607549695469593574417552682469172578236555673468724582087558670468118585916561674467618589753564682467090" +
  "593622567697466401597469570718465821601354573743465074605211576777464441609105579816463638612977582861462950" +
  "616852585913462237620765588970461351624654592034460583628576595104459641632506598180458668636412601264457818" +
  "640352604354456791644270607450455886648222610553454801652178613664453689656114616780452702660082619904451534" +
  "664055623034450338668008626171449270671991629316448018675981632468446736679979635626445424683950638793444251" +
  "687957641966442886691971645145441491695985648334440072700008651529438624704037654731437147708067657942435647" +
  "712105661160434117716177664384432386720222667618430805724274670859429194728334674107427554732422677364425717" +
  "736488680629424028740589683900422131744664687181420393748772690470418448752886693766416472756975697071414659" +
  "761096700384412638765223703705410587769353707035408516773486710373406422777651713719404112781795717074401966" +
  "785965720438399613790116723810397423794298727190395016798480730580392597802667733978390153806859737385387684" +
  "811054740801385198815274744226382504819499747659379785823729751101377043827959754553374292832192758014371529" +
  "836429761483368747840693764962365746844957768450362741849223771947359729853515775454356500857809778969353259" +
  "862105782494350011866421786028346571870717789572343333875057793125339685879378796687336241883720800258332599" +
  "888081803839328770892440807430324968896818811030320982901195814639317021905589818257312889910000821885308594" +
  "914407825522304348918828829168299960923279832822295244927724836486290611932180840159285880936660843841280876" +
  "941147847530275815945654851228270532950178854933265085954725858646259365959284862365253563963872866089247445" +
  "968469869819241310973114873550234677977780877281227954982497881008220878987293884718213336992218888385205468" +
  "994847892954203445995249898384207561995503903866212370995737909344217772";

/** cividis as published: 256 sRGB triples in [0, 1], from low to high. */
export const CIVIDIS: readonly Rgb[] = Array.from({length: 256}, (_, i) => {
  const at = (c: number) => Number(CIVIDIS_MILLIONTHS.slice(18 * i + 6 * c, 18 * i + 6 * c + 6)) / 1e6;
  return [at(0), at(1), at(2)] as Rgb;
});

/** What each map is, in words (the display panel's menus, the colour keys). */
export const COLOUR_MAP_INFO: Record<ColourMapName, {label: string; low: string; high: string}> = {
  magma: {label: "magma (perceptually uniform)", low: "dark", high: "bright"},
  viridis: {label: "viridis (perceptually uniform)", low: "dark", high: "bright"},
  greys: {label: "greys", low: "light", high: "dark"},
  cividis: {label: "cividis (colour-blind safe)", low: "dark", high: "bright"},
  RdBu: {label: "red/blue (RdBu)", low: "blue", high: "red"},
  PuOr: {label: "purple/orange (colour-blind safe)", low: "purple", high: "orange"},
};

export function isDiverging(map: ColourMapName): map is DivergingMap {
  return (DIVERGING_MAPS as readonly string[]).includes(map);
}

/**
 * The colour of `t` in [0, 1] (clamped; NaN counts as the middle) as sRGB
 * 0..255 integers. Diverging maps put 0 at t = 0.5.
 */
export function colourAt(map: ColourMapName, t: number): Rgb {
  const x = Number.isFinite(t) ? Math.min(1, Math.max(0, t)) : 0.5;
  if (map === "RdBu" || map === "PuOr") return piecewiseLinear(map === "RdBu" ? RDBU_11 : PUOR_11, x);
  if (map === "cividis") {
    const [r, g, b] = CIVIDIS[Math.round(x * 255)];
    return [Math.round(255 * r), Math.round(255 * g), Math.round(255 * b)];
  }
  return parseColour(String(plotScale(map).apply(x)));
}

/** colourAt as a CSS colour (`rgb(r, g, b)`), for Plot's `interpolate` and styles. */
export function cssColourAt(map: ColourMapName, t: number): string {
  return `rgb(${colourAt(map, t).join(", ")})`;
}

const tables = new Map<ColourMapName, Uint8ClampedArray>();

/** 256 RGB entries of a map at t = i / 255 (cached): the lookup table heatmaps paint with. */
export function colourTable(map: ColourMapName): Uint8ClampedArray {
  let table = tables.get(map);
  if (!table) {
    table = new Uint8ClampedArray(256 * 3);
    for (let i = 0; i < 256; i++) table.set(colourAt(map, i / 255), 3 * i);
    tables.set(map, table);
  }
  return table;
}

/** Black or white, whichever contrasts more with `rgb` (WCAG relative luminance): text on a coloured cell. */
export function textColourOn([r, g, b]: Rgb): "black" | "white" {
  const L = relativeLuminance(r, g, b);
  return (L + 0.05) / 0.05 >= 1.05 / (L + 0.05) ? "black" : "white";
}

/** WCAG 2 relative luminance of sRGB 0..255. */
export function relativeLuminance(r: number, g: number, b: number): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

function piecewiseLinear(colours: readonly string[], t: number): Rgb {
  const x = t * (colours.length - 1);
  const i = Math.min(colours.length - 2, Math.floor(x));
  const f = x - i;
  const a = parseColour(colours[i]);
  const b = parseColour(colours[i + 1]);
  return [0, 1, 2].map((c) => Math.round(a[c] + f * (b[c] - a[c]))) as Rgb;
}

const plotScales = new Map<string, {apply: (x: number) => unknown}>();

function plotScale(scheme: "magma" | "viridis" | "greys") {
  let scale = plotScales.get(scheme);
  if (!scale) {
    scale = Plot.scale({color: {type: "linear", scheme, domain: [0, 1]}}) as {apply: (x: number) => unknown};
    plotScales.set(scheme, scale);
  }
  return scale;
}

/** `rgb(r, g, b)` or `#rrggbb` as 0..255 integers. */
export function parseColour(css: string): Rgb {
  const m = /rgb\((\d+),\s*(\d+),\s*(\d+)\)/.exec(css);
  if (m) return [Number(m[1]), Number(m[2]), Number(m[3])];
  const h = /^#([0-9a-f]{6})$/i.exec(css);
  if (h) return [parseInt(h[1].slice(0, 2), 16), parseInt(h[1].slice(2, 4), 16), parseInt(h[1].slice(4, 6), 16)];
  throw new Error(`unexpected colour ${css}`);
}
