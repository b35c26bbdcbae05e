// calc's interface: every function, from one module.

// sums and differences
export { add } from './add.mjs';

// products and quotients
