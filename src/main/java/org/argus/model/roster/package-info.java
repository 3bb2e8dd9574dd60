/**
 * The named models ({@link org.argus.model.roster.Roster}, {@link
 * org.argus.model.roster.RosterModel}) with their native {@link
 * org.argus.model.roster.PreprocessingSpec}, curated feature layers and head labels.
 */
package org.argus.model.roster;
