// Writing CommCare data into CSV and spreadsheet cells safely.
export { neutralizeFormula } from './neutralize-formula.js';
