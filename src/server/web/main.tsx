/** The dashboard's entry point (bundled into dist/ui/app.js by esbuild). */
import { render } from 'preact';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { App } from './app.tsx';

const root = document.getElementById('app');
if (root) render(<App />, root);
