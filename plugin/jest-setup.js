// Jest setup provided by Grafana scaffolding
import './.config/jest-setup';

// What @grafana/ui's Combobox needs from the browser and jsdom lacks: a 2D canvas context's
// measureText to size its menu (the scaffold stubs getContext with nothing; this is a rough
// monospace stand-in), and IntersectionObserver, which it uses to follow its input.
HTMLCanvasElement.prototype.getContext = () => ({ font: '', measureText: (text) => ({ width: text.length * 8 }) });

global.IntersectionObserver = class {
  observe() {}
  unobserve() {}
  disconnect() {}
  takeRecords() {
    return [];
  }
};
