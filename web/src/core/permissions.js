// Who sees which view, and who may do what.
import { state } from './state.js';

export const VIEWS = {
  pairs: 'Pairs', mentees: 'Mentees', applications: 'Applications', matching: 'Matching', tours: 'Tours and meetings',
  hours: 'Hours', budget: 'Budget', rules: 'Rules', audit: 'Audit', control: 'Control',
};
export const can = {
  logSession: () => ['coordinator', 'mentor'].includes(state.me?.role),
  invoice: () => state.me?.role === 'finance',
  pack: () => ['auditor', 'coordinator', 'controller'].includes(state.me?.role),
  coordinate: () => state.me?.role === 'coordinator',
  // The control of spending: controllers draw samples, verify and record
  // findings; finance staff apply the corrections; every role but mentors reads it.
  control: () => state.me?.role === 'controller',
  correct: () => state.me?.role === 'finance',
  readControl: () => ['coordinator', 'finance', 'auditor', 'controller'].includes(state.me?.role),
  // Who attaches a document to what (the upload itself is open to every role that writes).
  attachInvoice: () => state.me?.role === 'finance',
  attachPair: () => ['coordinator', 'mentor'].includes(state.me?.role),
  views: () => ({
    coordinator: ['pairs', 'mentees', 'applications', 'matching', 'tours', 'budget', 'hours', 'rules', 'audit', 'control'],
    finance: ['budget', 'hours', 'pairs', 'mentees', 'tours', 'rules', 'audit', 'control'],
    auditor: ['audit', 'pairs', 'mentees', 'budget', 'hours', 'tours', 'rules', 'control'],
    controller: ['control', 'audit', 'pairs', 'mentees', 'budget', 'hours', 'tours', 'rules'],
    mentor: ['pairs', 'mentees', 'tours', 'rules'],
  })[state.me?.role] || [],
};
