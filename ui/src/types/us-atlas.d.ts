// us-atlas ships TopoJSON files without types; the UI imports one as a module (Vite bundles JSON).
declare module 'us-atlas/counties-10m.json' {
  import type { Topology } from 'topojson-specification';
  const topology: Topology;
  export default topology;
}
